import Fluent
import SQLKit
import Vapor

/// The way into the database: one store per aggregate, all on the same connection or transaction.
///
/// Nothing outside `Persistence/` imports Fluent or writes SQL; handlers reach the stores through
/// `request.stores` and background work through `application.stores`.
public struct Stores: Sendable {
    let database: any Database

    public var sessions: SessionStore { SessionStore(database: database) }
    public var flows: SigningFlowStore { SigningFlowStore(database: database) }
    public var organizations: OrganizationStore { OrganizationStore(database: database) }
    public var staff: StaffStore { StaffStore(database: database) }
    public var certificates: PKIStore { PKIStore(database: database) }
    public var webhooks: WebhookStore { WebhookStore(database: database) }
    public var citizens: CitizenStore { CitizenStore(database: database) }
    public var sandboxMessages: SandboxMessageStore { SandboxMessageStore(database: database) }
    public var rateLimits: RateLimitStore { RateLimitStore(database: database) }
    public var idempotency: IdempotencyStore { IdempotencyStore(database: database) }
    public var sealedSecrets: SealedSecretStore { SealedSecretStore(database: database) }

    /// Runs `body` in one transaction: every store it is given writes in it.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (Stores) async throws -> T) async throws -> T {
        try await database.transaction { try await body(Stores(database: $0)) }
    }

    /// Asks the database a trivial question: for health checks.
    public func ping() async throws {
        _ = try await database.sql.raw("SELECT 1").all()
    }

    /// Writes a consistent copy of an SQLite database into the empty file at `path`, while others
    /// go on reading and writing (`VACUUM INTO` reads one snapshot).
    public func copySQLite(into path: String) async throws {
        try await database.sql.raw("VACUUM INTO \(literal: path)").run()
    }

    /// The names of the migrations this build has that the database has not recorded as applied.
    public func missingMigrations() async throws -> [String] {
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
    public var stores: Stores { Stores(database: db) }
}

extension Application {
    /// The stores on the application's database, for commands and background work.
    public var stores: Stores { Stores(database: db) }
}
