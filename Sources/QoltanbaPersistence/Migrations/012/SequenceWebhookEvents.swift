import Fluent
import SQLKit

/// A session's webhook events went out in the order of their `created_at`, each instance's clock:
/// skew between instances could swap two events of one session. Each event now gets a number the
/// database assigns as it is stored (PostgreSQL: a sequence; SQLite, whose writers take turns:
/// one more than the largest), and events go out in that order. Existing events are numbered in
/// the order of their `created_at`.
struct SequenceWebhookEvents: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        let postgres = sql.dialect.name == "postgresql"
        if postgres {
            try await sql.raw("CREATE SEQUENCE webhook_event_sequence").run()
            try await sql.raw("ALTER TABLE webhook_events ADD COLUMN sequence BIGINT").run()
        } else {
            try await sql.raw("ALTER TABLE webhook_events ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0").run()
        }
        // One pass over the table (not a numbering per row).
        try await sql.raw("""
            UPDATE webhook_events SET sequence = numbered.n
            FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM webhook_events) AS numbered
            WHERE numbered.id = webhook_events.id
            """).run()
        if postgres {
            try await sql.raw("""
                SELECT setval('webhook_event_sequence', (SELECT COALESCE(MAX(sequence), 0) + 1 FROM webhook_events), false)
                """).run()
            try await sql.raw("""
                ALTER TABLE webhook_events ALTER COLUMN sequence SET DEFAULT nextval('webhook_event_sequence'),
                    ALTER COLUMN sequence SET NOT NULL
                """).run()
            try await sql.raw("ALTER SEQUENCE webhook_event_sequence OWNED BY webhook_events.sequence").run()
        }
        try await sql.raw("CREATE UNIQUE INDEX webhook_events_sequence ON webhook_events (sequence)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql
        try await sql.drop(index: "webhook_events_sequence").run()
        try await sql.raw("ALTER TABLE webhook_events DROP COLUMN sequence").run()
        if sql.dialect.name == "postgresql" { try await sql.raw("DROP SEQUENCE IF EXISTS webhook_event_sequence").run() }
    }
}
