import Fluent
import Foundation
import QoltanbaCore

/// A signing session: who signs, what kind of documents, and where its lifecycle stands.
// @unchecked Sendable: see OrganizationModel.
final class SigningSessionModel: Model, @unchecked Sendable {
    static let schema = "signing_sessions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: OrganizationModel
    @Field(key: "check_id") var checkID: UUID
    @Field(key: "iin") var iin: String
    @Field(key: "phone") var phone: String
    @Field(key: "document_type") var documentType: String
    @Field(key: "status") var status: String
    @OptionalField(key: "failure_type") var failureType: String?
    @OptionalField(key: "failure_detail") var failureDetail: String?
    /// The integrator's `metadata` object as JSON text.
    @OptionalField(key: "metadata") var metadata: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(
        id: UUID, organizationID: UUID, checkID: UUID, iin: IIN, phone: PhoneNumber,
        documentType: DocumentType, metadata: String?, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.$organization.id = organizationID
        self.checkID = checkID
        self.iin = iin.digits
        self.phone = phone.digits
        self.documentType = documentType.rawValue
        self.status = SessionStatus.started.rawValue
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.expiresAt = expiresAt
    }

    /// The stored lifecycle state. An unreadable stored status reads as canceled (`OTHER`), so a
    /// damaged row can never be signed.
    var lifecycle: SessionLifecycle {
        let state: SessionLifecycle.State
        switch SessionStatus(rawValue: status) {
        case .started: state = .started
        case .process: state = .process
        case .finished: state = .finished
        case .canceled, nil:
            let type = failureType.flatMap(FailureReason.Kind.init(rawValue:)) ?? .other
            state = .canceled(FailureReason(type: type, detail: failureDetail ?? type.standardDetail))
        }
        return SessionLifecycle(state: state, expiresAt: expiresAt)
    }

    /// The session's document type; pdf for a damaged value.
    var type: DocumentType { DocumentType(rawValue: documentType) ?? .pdf }
}
