import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import SQLKit
import Testing
import Vapor

/// Counts every row the database writes, by triggers on every table (SQLite and PostgreSQL): the
/// database itself tells, whatever path the write took.
public struct DatabaseWrites: Sendable {
    let database: any SQLDatabase

    /// A write the triggers saw: the table and the operation.
    public struct Write: Hashable, Sendable, CustomStringConvertible {
        public let table: String
        public let operation: String
        public var description: String { "\(operation) \(table)" }

        public init(table: String, operation: String) {
            self.table = table
            self.operation = operation
        }
    }

    /// Installs the triggers on every table of the application's database (its schema on PostgreSQL).
    public static func install(on app: Application) async throws -> DatabaseWrites {
        let sql = try #require(app.db as? any SQLDatabase)
        try await sql.raw("CREATE TABLE test_writes (table_name TEXT NOT NULL, operation TEXT NOT NULL)").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE FUNCTION test_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO test_writes VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$
                """).run()
            let tables = try await sql.raw("""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'test_writes'
                """).all().map { try $0.decode(column: "table_name", as: String.self) }
            for table in tables {
                try await sql.raw("""
                    CREATE TRIGGER test_count_write AFTER INSERT OR UPDATE OR DELETE ON \(ident: table)
                    FOR EACH ROW EXECUTE FUNCTION test_count_write()
                    """).run()
            }
        } else {
            let tables = try await sql.raw("""
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'test_writes'
                """).all().map { try $0.decode(column: "name", as: String.self) }
            for table in tables {
                for operation in ["INSERT", "UPDATE", "DELETE"] {
                    try await sql.raw("""
                        CREATE TRIGGER \(ident: "test_count_\(operation.lowercased())_\(table)") AFTER \(unsafeRaw: operation) ON \(ident: table)
                        BEGIN INSERT INTO test_writes VALUES (\(literal: table), \(literal: operation)); END
                        """).run()
                }
            }
        }
        return DatabaseWrites(database: sql)
    }

    /// Every write seen so far, in order.
    public func all() async throws -> [Write] {
        try await database.raw("SELECT table_name, operation FROM test_writes").all().map {
            Write(table: try $0.decode(column: "table_name", as: String.self), operation: try $0.decode(column: "operation", as: String.self))
        }
    }

    /// The writes `body` made.
    public func during(_ body: () async throws -> Void) async throws -> [Write] {
        let before = try await all().count
        try await body()
        return Array(try await all().dropFirst(before))
    }
}
