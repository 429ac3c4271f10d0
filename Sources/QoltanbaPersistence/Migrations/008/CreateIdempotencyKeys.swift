import Fluent

/// The answers of requests sent with an `Idempotency-Key`, per organization, kept for 24 hours.
struct CreateIdempotencyKeys: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("idempotency_keys")
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("key", .string, .required)
            .field("fingerprint", .string, .required)
            .field("state", .string, .required)
            .field("status", .int)
            .field("content_type", .string)
            .field("body", .data)
            .field("created_at", .datetime, .required)
            .unique(on: "organization_id", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("idempotency_keys").delete()
    }
}
