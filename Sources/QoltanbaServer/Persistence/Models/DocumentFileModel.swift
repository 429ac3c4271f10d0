import Fluent
import Foundation

/// The bytes of a document's original, keyed by the document's id. Kept in the database so
/// that every instance sharing it can serve every file.
// @unchecked Sendable: see OrganizationModel.
final class DocumentFileModel: Model, @unchecked Sendable {
    static let schema = "document_files"

    @ID(custom: "document_id", generatedBy: .user) var id: UUID?
    @Field(key: "content") var content: Data

    init() {}

    init(documentID: UUID, content: Data) {
        self.id = documentID
        self.content = content
    }
}
