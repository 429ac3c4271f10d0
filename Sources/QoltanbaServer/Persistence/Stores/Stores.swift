import Fluent
import SQLKit
import Vapor

/// The way into the database: one store per aggregate, all on the same connection or transaction.
///
/// Nothing outside `Persistence/` imports Fluent or writes SQL; handlers reach the stores through
/// `request.stores` and background work through `application.stores`.
struct Stores: Sendable {
    let database: any Database

    var sessions: SessionStore { SessionStore(database: database) }
    var flows: SigningFlowStore { SigningFlowStore(database: database) }
    var organizations: OrganizationStore { OrganizationStore(database: database) }
    var staff: StaffStore { StaffStore(database: database) }
    var certificates: CertificateStore { CertificateStore(database: database) }
    var webhooks: WebhookStore { WebhookStore(database: database) }
    var citizens: CitizenStore { CitizenStore(database: database) }
    var sandboxMessages: SandboxMessageStore { SandboxMessageStore(database: database) }
    var rateLimits: RateLimitStore { RateLimitStore(database: database) }
    var idempotency: IdempotencyStore { IdempotencyStore(database: database) }
    var sealedSecrets: SealedSecretStore { SealedSecretStore(database: database) }

    /// Runs `body` in one transaction: every store it is given writes in it.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Stores) async throws -> T) async throws -> T {
        try await database.transaction { try await body(Stores(database: $0)) }
    }

    /// Asks the database a trivial question: for health checks.
    func ping() async throws {
        _ = try await database.sql.raw("SELECT 1").all()
    }

    /// Writes a consistent copy of an SQLite database into the empty file at `path`, while others
    /// go on reading and writing (`VACUUM INTO` reads one snapshot).
    func copySQLite(into path: String) async throws {
        try await database.sql.raw("VACUUM INTO \(literal: path)").run()
    }

    /// The names of the migrations this build has that the database has not recorded as applied.
    func missingMigrations() async throws -> [String] {
        let applied = Set(try await database.sql.raw("SELECT name FROM _fluent_migrations").all()
            .map { try $0.decode(column: "name", as: String.self) })
        return QoltanbaMigrations.names.filter { !applied.contains($0) }
    }
}

extension Database {
    /// Every driver Qoltanba runs on (SQLite, PostgreSQL) speaks SQL.
    var sql: any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure("Qoltanba needs an SQL database; \(type(of: self)) is not one")
        }
        return sql
    }
}

extension Request {
    /// The stores on this request's database connection.
    var stores: Stores { Stores(database: db) }
}

extension Application {
    /// The stores on the application's database, for commands and background work.
    var stores: Stores { Stores(database: db) }
}
