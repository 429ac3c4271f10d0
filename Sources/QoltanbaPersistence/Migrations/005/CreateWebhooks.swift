import Fluent
import SQLKit

/// An organization's webhook (URL and sealed secrets, the previous one kept while rotating), the
/// outbox of events and the log of delivery attempts.
struct CreateWebhooks: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        for (name, type) in [("webhook_url", DatabaseSchema.DataType.string), ("webhook_secret", .data),
                             ("webhook_previous_secret", .data), ("webhook_previous_until", .datetime)] {
            try await database.schema("organizations").field(FieldKey(stringLiteral: name), type).update()
        }
        try await database.schema("webhook_events")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("session_id", .uuid, .required, .references("signing_sessions", "id", onDelete: .cascade))
            .field("event", .string, .required)
            .field("payload", .string, .required)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("claimed_until", .datetime)
            .field("last_status", .int)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .create()
        try await (database as! any SQLDatabase).create(index: "webhook_events_due").on("webhook_events")
            .column("state").column("next_attempt_at").run()
        try await database.schema("webhook_attempts")
            .id()
            .field("event_id", .uuid, .required, .references("webhook_events", "id", onDelete: .cascade))
            .field("attempted_at", .datetime, .required)
            .field("status", .int)
            .field("error", .string)
            .field("milliseconds", .int, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_attempts").delete()
        try await database.schema("webhook_events").delete()
        for name in ["webhook_previous_until", "webhook_previous_secret", "webhook_secret", "webhook_url"] {
            try await database.schema("organizations").deleteField(FieldKey(stringLiteral: name)).update()
        }
    }
}
