import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import QoltanbaPKI
import SQLKit
import Vapor

/// Where the database is.
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite file at this path.
    case sqlite(path: String)
    /// A PostgreSQL server, by `postgres://` URL.
    case postgres(url: String)
}

/// What `useDatabase` was told, for `migrateDatabase`.
struct DatabaseSettings: Sendable {
    let location: DatabaseLocation
    let schema: String?
    /// Called inside each migration's transaction, after the migration and before its record.
    let afterMigration: @Sendable () async -> Void
}

extension Application {
    private struct SettingsKey: StorageKey {
        typealias Value = DatabaseSettings
    }

    private struct MigrationsKey: StorageKey {
        typealias Value = OrderedMigrations
    }

    private struct ConnectionsKey: StorageKey {
        typealias Value = DatabaseConnections
    }

    private func stored<Key: StorageKey>(_ key: Key.Type) -> Key.Value where Key.Value: Sendable {
        guard let value = storage[key] else { fatalError("useDatabase(_:schema:masterKey:afterMigration:) has not been called") }
        return value
    }

    /// Registers the database at `location` and the migrations (`masterKey` for those that seal);
    /// connects to nothing yet. `afterMigration` runs inside each migration's transaction (a test's pause).
    public func useDatabase(
        _ location: DatabaseLocation, schema: String?, masterKey: @escaping @Sendable () throws -> MasterKey,
        afterMigration: @escaping @Sendable () async -> Void = {}
    ) throws {
        let database = location
        let eventLoops = Array(eventLoopGroup.makeIterator()).count
        switch database {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            databases.use(.sqlite(.file(path)), as: .sqlite)
            storage[ConnectionsKey.self] = DatabaseConnections(limit: eventLoops, applicationName: nil)
        case .postgres(let url):
            var postgres = try SQLPostgresConfiguration(url: url)
            if let schema {
                postgres.searchPath = [schema]
            }
            let name = "qoltanba-\(UUID().uuidString.lowercased())"
            postgres.coreConfiguration.options.additionalStartupParameters.append(("application_name", name))
            databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: DatabaseConnections.perEventLoop), as: .psql)
            storage[ConnectionsKey.self] = DatabaseConnections(limit: eventLoops * DatabaseConnections.perEventLoop, applicationName: name)
        }
        storage[MigrationsKey.self] = OrderedMigrations(all: QoltanbaMigrations.all(masterKey: masterKey))
        storage[SettingsKey.self] = DatabaseSettings(location: location, schema: schema, afterMigration: afterMigration)
    }

    /// Brings the schema up to date and tunes SQLite. Safe to call from several instances at once:
    /// on PostgreSQL the migrations run under an advisory lock.
    /// - Returns: the names of the migrations this call applied.
    @discardableResult
    public func migrateDatabase() async throws -> [String] {
        let settings = stored(SettingsKey.self)
        switch settings.location {
        case .sqlite:
            try await tuneSQLite()
            return try await applyMigrations()
        case .postgres:
            if let schema = settings.schema {
                try await db.sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
            }
            return try await withMigrationLock { try await self.applyMigrations() }
        }
    }

    /// Applies the migrations not applied yet, in order, each in one transaction together with
    /// its entry in `_fluent_migrations` (both databases change their schema transactionally): a
    /// process killed in the middle leaves every migration wholly applied or not at all, so the
    /// next start (or another instance waiting for the lock) applies it again from the start.
    /// (Fluent's own migrator records a migration after running it, outside any transaction.)
    @discardableResult
    public func applyMigrations() async throws -> [String] {
        try await MigrationLog.migration.prepare(on: db).get()
        let logged = try await MigrationLog.query(on: db).all()
        let applied = Set(logged.map(\.name))
        let batch = (logged.map(\.batch).max() ?? 0) + 1
        let missing = stored(MigrationsKey.self).all.filter { !applied.contains($0.name) }
        let afterMigration = stored(SettingsKey.self).afterMigration
        for migration in missing {
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            try await db.transaction { transaction in
                try await migration.prepare(on: transaction).get()
                await afterMigration()
                try await MigrationLog(name: migration.name, batch: batch).create(on: transaction)
            }
        }
        return missing.map(\.name)
    }

    /// WAL lets readers and a writer work at once; a busy timeout makes a writer wait for another
    /// instead of failing. `synchronous = NORMAL` (in WAL) syncs at checkpoints rather than at every
    /// commit: a committed transaction survives a crash of the process, and on power loss or an
    /// operating-system crash the database stays consistent but may lose the transactions committed
    /// since the last checkpoint (SQLite's documented trade; PostgreSQL keeps its defaults). Both
    /// settings are per connection: SQLite has one per event loop here.
    private func tuneSQLite() async throws {
        try await db.sql.raw("PRAGMA journal_mode = WAL").run()
        for eventLoop in eventLoopGroup.makeIterator() {
            guard let database = databases.database(logger: logger, on: eventLoop) as? any SQLDatabase else { continue }
            try await database.raw("PRAGMA busy_timeout = 5000").run()
            try await database.raw("PRAGMA synchronous = NORMAL").run()
        }
    }

    private func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let lockID: Int64 = 0x716f_6c74_616e_6261 // "qoltanba"
        return try await db.withConnection { connection in
            let sql = connection.sql
            try await sql.raw("SELECT pg_advisory_lock(\(bind: lockID))").run()
            let result: T
            do {
                result = try await body()
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
            return result
        }
    }
}

/// This application's database connections: how many its pools open at most and, on PostgreSQL,
/// the `application_name` they carry (random, one per application), by which
/// ``Application/databaseConnectionsInUse()`` counts them in `pg_stat_activity`.
public struct DatabaseConnections: Sendable {
    /// PostgreSQL connections per event loop (SQLite has one).
    public static let perEventLoop = 4
    public let limit: Int
    public let applicationName: String?
}

extension Application {
    /// How many connections this application's pools open at most, and how they are named.
    public var databaseConnections: DatabaseConnections {
        stored(ConnectionsKey.self)
    }

    /// How many of this application's PostgreSQL connections are in use (running a statement or
    /// inside a transaction) and how many are idle, leaving out the one that asks; nil on SQLite,
    /// whose pool shows nothing of the kind.
    public func databaseConnectionsInUse() async throws -> (inUse: Int, idle: Int)? {
        guard let name = databaseConnections.applicationName else { return nil }
        struct Counts: Decodable { let inUse: Int; let idle: Int }
        let counts = try await db.sql.raw("""
            SELECT count(*) FILTER (WHERE state IS DISTINCT FROM 'idle') AS "inUse", count(*) FILTER (WHERE state = 'idle') AS idle
            FROM pg_stat_activity WHERE application_name = \(bind: name) AND pid <> pg_backend_pid()
            """).first(decoding: Counts.self)
        return counts.map { ($0.inUse, $0.idle) }
    }
}

/// The migrations in the order they apply.
struct OrderedMigrations: Sendable {
    let all: [any Migration]
}
