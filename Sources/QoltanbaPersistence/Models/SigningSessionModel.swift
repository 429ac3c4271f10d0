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
}
