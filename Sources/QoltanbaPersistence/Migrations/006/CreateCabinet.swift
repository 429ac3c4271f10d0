import Fluent
import SQLKit

/// The cabinet's staff accounts, their logins, failed login attempts (for the rate limit), and
/// the log of each session's steps (for its timeline).
struct CreateCabinet: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_users")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("last_login_at", .datetime)
            .unique(on: "email")
            .create()
        try await database.schema("staff_logins")
            .id()
            .field("user_id", .uuid, .required, .references("staff_users", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("flash", .data)
            .unique(on: "token_hash")
            .create()
        try await database.schema("login_failures")
            .id()
            .field("key", .string, .required)
            .field("at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "login_failures_key").on("login_failures").column("key").column("at").run()
        try await database.schema("session_log")
            .id()
            .field("session_id", .uuid, .required, .references("signing_sessions", "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("event", .string, .required)
            .field("step", .string)
            .field("detail", .string)
            .create()
        try await sql.create(index: "session_log_session").on("session_log").column("session_id").column("at").run()
        try await sql.create(index: "webhook_events_session").on("webhook_events").column("session_id").run()
        try await sql.create(index: "signing_sessions_organization").on("signing_sessions")
            .column("organization_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(index: "signing_sessions_organization").run()
        try await sql.drop(index: "webhook_events_session").run()
        try await database.schema("session_log").delete()
        try await database.schema("login_failures").delete()
        try await database.schema("staff_logins").delete()
        try await database.schema("staff_users").delete()
    }
}
