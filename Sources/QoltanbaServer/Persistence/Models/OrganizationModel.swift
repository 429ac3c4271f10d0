import Fluent
import Foundation

/// An integrator organization.
// @unchecked Sendable: Fluent models are reference types with property wrappers; each instance is
// used by one task at a time.
final class OrganizationModel: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, name: String) {
        self.id = id
        self.name = name
    }
}
