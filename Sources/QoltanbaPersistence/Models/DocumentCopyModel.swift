import Fluent
import Foundation

/// The stamped copy of a signed document (the PDF with its signature sheet, or an XML's sheet),
/// keyed by the document's id: made at the first download and served as stored from then on.
// @unchecked Sendable: see OrganizationModel.
final class DocumentCopyModel: Model, @unchecked Sendable {
    static let schema = "document_copies"

    @ID(custom: "document_id", generatedBy: .user) var id: UUID?
    @Field(key: "content") var content: Data
    /// Hex SHA-256 of `content`.
    @Field(key: "sha256") var sha256: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(documentID: UUID, content: Data, sha256: String, at date: Date) {
        self.id = documentID
        self.content = content
        self.sha256 = sha256
        self.createdAt = date
    }
}
