import Fluent
import Foundation
import QoltanbaCore

/// An integrator organization.
// @unchecked Sendable: Fluent models are reference types with property wrappers; each instance is
// used by one task at a time.
final class OrganizationModel: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// Where session events are posted; nil for none.
    @OptionalField(key: "webhook_url") var webhookURL: String?
    /// The webhook secret, sealed under the master key.
    @OptionalField(key: "webhook_secret") var webhookSecret: Data?
    /// The secret before the last rotation, also signed with until `webhookPreviousUntil`.
    @OptionalField(key: "webhook_previous_secret") var webhookPreviousSecret: Data?
    @OptionalField(key: "webhook_previous_until") var webhookPreviousUntil: Date?

    /// The origins `redirect_url` may point at, one per line; nil or empty: any.
    @OptionalField(key: "redirect_origins") var redirectOrigins: String?

    /// The allowed redirect origins as a list.
    init() {}

    init(id: UUID? = nil, name: String) {
        self.id = id
        self.name = name
    }
}
