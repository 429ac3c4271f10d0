import Fluent
import Foundation
import Logging
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Status, result and expiry")
struct SessionReadTests {
    @Test("status of a new session, with and without the trailing slash; failure_reason is null")
    func status() async throws {
        try await TestServer.with { server in
            let id = try await server.createSession()
            for path in ["/api/v1/session/status/", "/api/v1/session/status"] {
                let response = try await server.send(.GET, "\(path)?session_id=\(id)")
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(Set(json.keys) == ["session_id", "status", "failure_reason", "created_at", "updated_at"])
                #expect(json["session_id"] as? String == id.apiString)
                #expect(json["status"] as? String == "STARTED")
                #expect(json["failure_reason"] is NSNull)
            }
            let missing = try await server.send(.GET, "/api/v1/session/status/")
            #expect(missing.status == .badRequest)
            #expect(missing.detail == "session_id: this field is required")
        }
    }

    @Test("result lists the documents in upload order with sign null until signed")
    func result() async throws {
        try await TestServer.with { server in
            let id = try await server.createSession()
            var uploaded: [String] = []
            for name in ["first.pdf", "second.pdf"] {
                let response = try await server.uploadBase64(session: id.uuidString, name: name, file: Samples.pdf)
                uploaded.append(try response.json()["id"] as? String ?? "")
            }
            for path in ["/api/v1/session/result/", "/api/v1/session/result"] {
                let response = try await server.send(.GET, "\(path)?session_id=\(id)")
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["session_id"] as? String == id.apiString)
                let docs = try #require(json["docs"] as? [[String: Any]])
                #expect(docs.map { $0["id"] as? String } == uploaded)
                #expect(docs.map { $0["name"] as? String } == ["first.pdf", "second.pdf"])
                #expect(docs.allSatisfy { Set($0.keys) == ["id", "name", "sign"] && $0["sign"] is NSNull })
            }
            let missing = try await server.send(.GET, "/api/v1/session/result/?session_id=")
            #expect(missing.detail == "session_id: this field is required")
        }
    }

    @Test("after the time to live a session reads as CANCELED / EXPIRED and refuses uploads")
    func expiresOnRead() async throws {
        try await TestServer.with(environment: ["QOLTANBA_SESSION_TTL_SECONDS": "1"]) { server in
            let id = try await server.createSession()
            try await Task.sleep(for: .milliseconds(1300))
            let response = try await server.send(.GET, "/api/v1/session/status/?session_id=\(id)")
            let json = try response.json()
            #expect(json["status"] as? String == "CANCELED")
            let reason = try #require(json["failure_reason"] as? [String: String])
            #expect(reason == ["type": "EXPIRED", "detail": "Session has expired"])
            #expect(json["updated_at"] as? String != json["created_at"] as? String)

            let upload = try await server.uploadBase64(session: id.uuidString, name: "a.pdf", file: Samples.pdf)
            #expect(upload.status == .conflict)
            #expect(try await server.documentCount() == 0)
        }
    }

    @Test("the sweeper expires sessions nobody reads, and leaves the others")
    func sweeper() async throws {
        try await TestServer.with { server in
            let due = try await server.createSession()
            let fresh = try await server.createSession()
            // Only `due` has run out of time.
            let model = try #require(try await SigningSessionModel.find(due, on: server.app.db))
            model.expiresAt = Date().addingTimeInterval(-1)
            try await model.save(on: server.app.db)
            let logger = Logger(label: "test")

            #expect(try await SessionExpirySweeper.sweepOnce(server.app.stores.sessions, logger: logger) == 1)
            let swept = try #require(try await SigningSessionModel.find(due, on: server.app.db))
            #expect(swept.status == "CANCELED")
            #expect(swept.failureType == "EXPIRED")
            #expect(swept.failureDetail == "Session has expired")
            #expect(try await SigningSessionModel.find(fresh, on: server.app.db)?.status == "STARTED")
            #expect(try await SessionExpirySweeper.sweepOnce(server.app.stores.sessions, logger: logger) == 0)
        }
    }

    @Test("the sweeper runs in the background and stops with the application")
    func sweeperLoop() async throws {
        try await TestServer.with(environment: ["QOLTANBA_SESSION_TTL_SECONDS": "1"]) { server in
            let id = try await server.createSession()
            let sweeper = BackgroundJob.sessionExpiry.repeating(server.app, every: .milliseconds(200))
            server.app.background.start(sweeper, on: server.app)
            var status = "STARTED"
            for _ in 0..<300 where status == "STARTED" {
                try await Task.sleep(for: .milliseconds(100))
                status = try await SigningSessionModel.find(id, on: server.app.db)?.status ?? ""
            }
            #expect(status == "CANCELED")
        }
    }

    @Test("a transition guarded by a status that changed meanwhile does not overwrite it")
    func guardedTransition() async throws {
        try await TestServer.with { server in
            let id = try await server.createSession()
            let repository = server.app.stores.sessions
            let stale = try #require(try await repository.stored(id))
            let current = try #require(try await repository.stored(id))
            #expect(try await repository.record(current, from: .started, to: .canceled(FailureReason(.liveness)), at: Date()) != nil)
            #expect(try await repository.record(stale, from: .started, to: .process, at: Date()) == nil, "a stale transition was written")
            let after = try #require(try await repository.stored(id))
            #expect(after.status == .canceled)
            #expect(after.lifecycle.state.failureReason?.type == .liveness)
        }
    }
}
