import Fluent
import Foundation

/// A document of a session: its display name, what it is, and its signature once signed.
///
/// The bytes live in `document_file_parts` (``SessionStore/content(of:)``), so listing documents never loads files.
// @unchecked Sendable: see OrganizationModel.
final class DocumentModel: Model, @unchecked Sendable {
    static let schema = "documents"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: SigningSessionModel
    @Field(key: "name") var name: String
    @Field(key: "media_type") var mediaType: String
    @Field(key: "size") var size: Int
    /// Hex SHA-256 of the original.
    @Field(key: "sha256") var sha256: String
    /// The CMS signature, base64 of DER; nil until signed.
    @OptionalField(key: "sign") var sign: String?
    /// An earlier CMS of the same content (base64 of DER): the new signer co-signs it, so that
    /// `sign` holds every signer.
    @OptionalField(key: "prior_sign") var priorSign: String?
    /// The signers of `sign` (`[SignatureReport.Signer]` as JSON), written when it is.
    @OptionalField(key: "signers") var signers: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    init(id: UUID, sessionID: UUID, name: String, mediaType: String, size: Int, sha256: String, at date: Date) {
        self.id = id
        self.$session.id = sessionID
        self.name = name
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
        self.createdAt = date
        self.updatedAt = date
    }
}
