import Fluent
import Foundation

/// An integrator's API key, stored as a SHA-256 hash with a short prefix to tell keys apart.
// @unchecked Sendable: see OrganizationModel.
final class APIKeyModel: Model, @unchecked Sendable {
    static let schema = "api_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: OrganizationModel
    @Field(key: "prefix") var prefix: String
    @Field(key: "secret_hash") var secretHash: String
    @Field(key: "label") var label: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(organizationID: UUID, prefix: String, secretHash: String, label: String) {
        self.$organization.id = organizationID
        self.prefix = prefix
        self.secretHash = secretHash
        self.label = label
    }
}
