import Fluent
import SQLKit

struct CreateSigningSessions: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("signing_sessions")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("check_id", .uuid, .required)
            .field("iin", .string, .required)
            .field("phone", .string, .required)
            .field("document_type", .string, .required)
            .field("status", .string, .required)
            .field("failure_type", .string)
            .field("failure_detail", .string)
            .field("metadata", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "check_id")
            .create()
        // The expiry sweeper looks for active sessions by expiry time.
        try await (database as! any SQLDatabase)
            .create(index: "signing_sessions_status_expires_at")
            .on("signing_sessions")
            .column("status")
            .column("expires_at")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("signing_sessions").delete()
    }
}
