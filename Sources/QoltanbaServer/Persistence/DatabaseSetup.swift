import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import QoltanbaPKI
import SQLKit
import Vapor

extension Application {
    /// Registers the configured database and the migrations (`masterKey` for those that seal);
    /// connects to nothing yet.
    func useDatabase(_ database: QoltanbaConfiguration.Database, schema: String?, masterKey: @escaping @Sendable () throws -> MasterKey) throws {
        switch database {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            databases.use(.sqlite(.file(path)), as: .sqlite)
        case .postgres(let url):
            var postgres = try SQLPostgresConfiguration(url: url)
            if let schema {
                postgres.searchPath = [schema]
            }
            databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: 4), as: .psql)
        }
        migrations.addQoltanbaMigrations(masterKey: masterKey)
    }

    /// Brings the schema up to date and tunes SQLite. Safe to call from several instances at once:
    /// on PostgreSQL the migrations run under an advisory lock.
    func migrateDatabase() async throws {
        switch qoltanba.database {
        case .sqlite:
            try await tuneSQLite()
            try await autoMigrate()
        case .postgres:
            if let schema = qoltanba.databaseSchema {
                try await db.sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
            }
            try await withMigrationLock { try await self.autoMigrate() }
        }
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

    private func withMigrationLock(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let lockID: Int64 = 0x716f_6c74_616e_6261 // "qoltanba"
        try await db.withConnection { connection in
            let sql = connection.sql
            try await sql.raw("SELECT pg_advisory_lock(\(bind: lockID))").run()
            do {
                try await body()
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
        }
    }
}
