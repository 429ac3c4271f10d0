import Fluent
import FluentKit
import Foundation
import Logging
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import VaporTesting

@Suite("Operations")
struct OperationsTests {
    @Test("every QOLTANBA_…_FILE variable is read into its variable; both ways at once, or an unreadable file, is refused")
    func secretsFromFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-secrets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let file = folder.appendingPathComponent("master")
        try Data((key + "\n").utf8).write(to: file)
        let configuration = try QoltanbaConfiguration(environment: ["QOLTANBA_MASTER_KEY_FILE": file.path])
        #expect(configuration.masterKey != nil)
        let both = #expect(throws: QoltanbaConfiguration.Invalid.self) {
            try QoltanbaConfiguration(environment: ["QOLTANBA_MASTER_KEY_FILE": file.path, "QOLTANBA_MASTER_KEY": key])
        }
        #expect(both?.description == "QOLTANBA_MASTER_KEY and QOLTANBA_MASTER_KEY_FILE are both set: give the value one way")
        let missing = #expect(throws: QoltanbaConfiguration.Invalid.self) {
            try QoltanbaConfiguration(environment: ["QOLTANBA_DATABASE_URL_FILE": folder.appendingPathComponent("none").path])
        }
        #expect(missing?.description.hasPrefix("QOLTANBA_DATABASE_URL_FILE names") == true)
        // Production still refuses to start without its secrets, however they are given.
        #expect(throws: QoltanbaConfiguration.Invalid.self) { try QoltanbaConfiguration(environment: ["QOLTANBA_MODE": "production"]) }
    }

    @Test("log format and shutdown grace are read and checked")
    func operatorSettings() throws {
        let defaults = try QoltanbaConfiguration(environment: [:])
        #expect(defaults.logFormat == .text && defaults.shutdownGrace == 20)
        let set = try QoltanbaConfiguration(environment: ["QOLTANBA_LOG_FORMAT": "JSON", "QOLTANBA_SHUTDOWN_GRACE_SECONDS": "5"])
        #expect(set.logFormat == .json && set.shutdownGrace == 5)
        #expect(throws: QoltanbaConfiguration.Invalid.self) { try QoltanbaConfiguration(environment: ["QOLTANBA_LOG_FORMAT": "xml"]) }
        #expect(throws: QoltanbaConfiguration.Invalid.self) {
            try QoltanbaConfiguration(environment: ["QOLTANBA_SHUTDOWN_GRACE_SECONDS": "-1"])
        }
    }

    @Test("a JSON log line is one object: the fixed fields and the metadata, escaped")
    func jsonLogLine() throws {
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 0), level: .info, message: "said \"hi\"\nthen left", label: "test",
            metadata: ["request-id": "r-1", "message": "not this", "session.id": .stringConvertible(42)])
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == [
            "time": "1970-01-01T00:00:00.000Z", "level": "info", "message": "said \"hi\"\nthen left", "label": "test",
            "request-id": "r-1", "session.id": "42",
        ])
    }

    @Test("request ids: a sane client id is kept, anything else replaced; every answer carries one")
    func requestIDs() async throws {
        #expect(RequestIDMiddleware.isSane("bank-42.a_b"))
        for insane in ["", "a b", String(repeating: "x", count: 129), "é", "a\u{0}b"] {
            #expect(!RequestIDMiddleware.isSane(insane), "\(insane.debugDescription)")
        }
        try await TestServer.with { server in
            let kept = try await server.send(.GET, "/health/live", headers: ["X-Request-Id": "bank-42"])
            #expect(kept.headers.first(name: "X-Request-Id") == "bank-42")
            let replaced = try await server.send(.GET, "/api/v1/session/status/", key: "", headers: ["X-Request-Id": "a b"])
            #expect(replaced.status == .notFound)
            #expect(UUID(uuidString: replaced.headers.first(name: "X-Request-Id") ?? "") != nil)
        }
    }

    @Test("readiness: 200 when migrated and running; 503 with the reason when a migration is missing or the process drains")
    func readiness() async throws {
        try await TestServer.with { server in
            let ready = try await server.send(.GET, "/health/ready", key: "")
            #expect(ready.status == .ok && ready.body.string == #"{"status":"ready"}"#)
            #expect(try await server.send(.GET, "/health/live", key: "").status == .ok)

            let newest = try #require(QoltanbaMigrations.names.last)
            try await server.app.db.sql.raw("DELETE FROM _fluent_migrations WHERE name = \(bind: newest)").run()
            let behind = try await server.send(.GET, "/health/ready", key: "")
            #expect(behind.status == .serviceUnavailable && behind.detail == "1 migrations are not applied (qoltanba serve applies them)")
            try await server.app.db.sql.raw("""
                INSERT INTO _fluent_migrations (id, name, batch, created_at, updated_at) VALUES (\(bind: UUID()), \(bind: newest), 99, NULL, NULL)
                """).run()
            #expect(try await server.send(.GET, "/health/ready", key: "").status == .ok)

            await server.app.draining.shutdownAsync(server.app)
            let draining = try await server.send(.GET, "/health/ready", key: "")
            #expect(draining.status == .serviceUnavailable && draining.detail == "shutting down")
            #expect(try await server.send(.GET, "/health/live", key: "").status == .ok)
        }
    }

    @Test("GET /metrics: Prometheus text with HTTP requests by route and Qoltanba's own counts, no session data")
    func metrics() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            _ = try await server.send(.GET, "/api/v1/session/status/?session_id=\(session.apiString)")
            let answer = try await server.send(.GET, "/metrics", key: "")
            #expect(answer.status == .ok)
            #expect(answer.headers.first(name: .contentType) == "text/plain; version=0.0.4; charset=utf-8")
            let text = answer.body.string
            let created = text.split(separator: "\n").first { $0.hasPrefix("qoltanba_sessions_created_total ") }
            #expect((created?.split(separator: " ").last).flatMap { Double($0) }.map { $0 >= 1 } == true, "\(text.prefix(2000))")
            #expect(text.contains("# TYPE http_requests_total counter"))
            #expect(text.contains(#"path="/api/v1/session/status""#) || text.contains(#"path="api/v1/session/status""#))
            #expect(text.contains("qoltanba_pool_in_use") || text.contains("http_request_duration_seconds"))
            #expect(!text.contains(session.apiString), "a session id is in the metrics")
        }
    }

    @Test("database pool use: PostgreSQL counts this application's connections in use and idle; SQLite has only a limit")
    func databaseConnections() async throws {
        try await TestServer.with { server in
            let app = server.app
            guard TestServer.usesPostgres else {
                #expect(try await app.databaseConnectionsInUse() == nil)
                #expect(app.databaseConnections.limit >= 1)
                return
            }
            #expect(app.databaseConnections.limit == DatabaseConnections.perEventLoop * Array(app.eventLoopGroup.makeIterator()).count)
            // A transaction holds a connection: it is in use until it ends, and then idle.
            try await app.db.transaction { transaction in
                _ = try await OrganizationModel.query(on: transaction).count()
                let during = try #require(try await app.databaseConnectionsInUse())
                #expect(during.inUse == 1, "\(during)")
            }
            let after = try #require(try await app.databaseConnectionsInUse())
            #expect(after.inUse == 0 && after.idle >= 1, "\(after)")

            // The job's first round runs at once.
            app.background.start(BackgroundJob.databaseConnections.repeating(app), on: app)
            var text = ""
            for _ in 0..<50 where !text.contains(#"qoltanba_database_connections{state="idle"}"#) {
                try await Task.sleep(for: .milliseconds(100))
                text = String(decoding: QoltanbaMetrics.exposition(), as: UTF8.self)
            }
            #expect(text.contains(#"qoltanba_database_connections{state="in_use"}"#) && text.contains("qoltanba_database_connections_limit "))
        }
    }
}
