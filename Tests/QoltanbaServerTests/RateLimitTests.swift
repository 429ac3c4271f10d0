import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Rate limits and API keys across instances")
struct RateLimitTests {
    func statusPath(_ session: UUID) -> String { "/api/v1/session/status/?session_id=\(session.apiString)" }

    @Test("each key has its own count per minute; every answer, errors too, carries the headers; past the limit a 429 with Retry-After")
    func limit() async throws {
        try await TestServer.with(environment: ["QOLTANBA_RATE_LIMIT_PER_MINUTE": "4"]) { server in
            // The requests below, the creation included, must fall in one clock minute (the window): on a
            // loaded machine a few requests can take seconds, so a minute with little left is waited out.
            let left = 60 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
            if left < 20 { try await Task.sleep(for: .seconds(left + 0.1)) }
            let session = try await server.createSession()
            var remaining: [String] = []
            for _ in 0..<2 {
                let answer = try await server.send(.GET, statusPath(session))
                #expect(answer.status == .ok)
                #expect(answer.headers.first(name: "X-RateLimit-Limit") == "4")
                remaining.append(answer.headers.first(name: "X-RateLimit-Remaining") ?? "")
            }
            let missing = try await server.send(.GET, "/api/v1/session/status/?session_id=\(UUID().apiString)")
            #expect(missing.status == .notFound && missing.detail == "Session not found")
            #expect(missing.headers.first(name: "X-RateLimit-Remaining") == "0")
            #expect(remaining == ["2", "1"])

            let refused = try await server.send(.GET, statusPath(session))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.detail?.hasPrefix("Too many requests: this API key may make 4 requests per minute") == true)
            let retryAfter = try #require(refused.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            #expect(refused.headers.first(name: "X-RateLimit-Reset") == String(retryAfter))
            #expect(refused.headers.first(name: "X-RateLimit-Remaining") == "0")
            #expect(refused.headers.contentType == .json)

            // Another organization's key is counted apart; a request without a key is not counted at all.
            let other = try await server.send(.GET, statusPath(session), key: server.otherKey)
            #expect(other.status == .conflict && other.headers.first(name: "X-RateLimit-Remaining") == "3")
            #expect(try await server.send(.GET, statusPath(session), key: "").headers.first(name: "X-RateLimit-Limit") == nil)
        }
    }

    @Test("QOLTANBA_RATE_LIMIT_PER_MINUTE=0 turns the limit off: no headers, no 429")
    func off() async throws {
        try await TestServer.with(environment: ["QOLTANBA_RATE_LIMIT_PER_MINUTE": "0"]) { server in
            let session = try await server.createSession()
            for _ in 0..<20 {
                let answer = try await server.send(.GET, statusPath(session))
                #expect(answer.status == .ok && answer.headers.first(name: "X-RateLimit-Limit") == nil)
            }
        }
        #expect(throws: (any Error).self) { try QoltanbaConfiguration(environment: ["QOLTANBA_RATE_LIMIT_PER_MINUTE": "-1"]) }
        #expect(throws: (any Error).self) { try QoltanbaConfiguration(environment: ["QOLTANBA_RATE_LIMIT_PER_MINUTE": "lots"]) }
    }

    @Test("instances share their counts through the database: each sees the others' requests after sharing")
    func shared() async throws {
        try await TestServer.with { server in
            let store = server.app.stores.rateLimits
            let now = Date()
            let first = RateLimiter(limit: 5), second = RateLimiter(limit: 5)
            for _ in 0..<3 {
                #expect(first.count("key", now: now)?.allowed == true)
                #expect(second.count("key", now: now)?.allowed == true)
            }
            // Before sharing each knows only its own three.
            #expect(first.count("other", now: now)?.remaining == 4)
            try await first.share(in: store)
            try await second.share(in: store)
            try await first.share(in: store)
            // Six were made in all: both refuse now, and a key nobody used is untouched.
            #expect(first.count("key", now: now)?.allowed == false)
            #expect(second.count("key", now: now)?.allowed == false)
            #expect(second.count("fresh", now: now)?.remaining == 4)
            // The next minute starts from zero.
            #expect(first.count("key", now: now.addingTimeInterval(60))?.remaining == 4)
        }
    }

    @Test("a key revoked through one instance is refused by another within 5 s, however recently it was used")
    func revocationAcrossInstances() async throws {
        try await TestServer.with { server in
            let second = try await Application.make(.testing)
            do {
                try await configure(second, with: server.app.qoltanba)
                try await second.prepareDatabase()
                let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
                let (key, secret) = try await server.app.stores.organizations.createAPIKey(for: organization.id, label: "revoked").pair
                let path = "/api/v1/session/status/?session_id=\(UUID().apiString)"
                let before = try await second.testing().sendRequest(.GET, path, headers: ["x-api-key": secret.value])
                #expect(before.status == .notFound && before.body.string.contains("Session not found"))
                #expect(try await server.app.stores.organizations.revokeAPIKey(id: key.id.apiString))
                let revoked = ContinuousClock.now
                var refused = false
                while !refused, ContinuousClock.now - revoked < .seconds(5) {
                    let after = try await second.testing().sendRequest(.GET, path, headers: ["x-api-key": secret.value])
                    refused = after.status == .notFound && after.body.string.contains("organization api-key not found")
                    if !refused { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(refused, "still accepted 5 s after the revocation")
            } catch {
                try await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }
}

@Suite("Worker pools")
struct WorkerPoolTests {
    @Test("a full pool refuses at once with a 503 and Retry-After instead of queueing; room comes back as work ends")
    func backPressure() async throws {
        let pool = WorkerPool("test", threads: 1, capacity: 1)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let first = Task { try await pool.run { started.signal(); gate.wait(); return 1 } }
        started.wait()
        let refused = await #expect(throws: QoltanbaError.self) { try await pool.run { 2 } }
        #expect(refused?.code == .busy)
        try await TestServer.with { server in
            let request = Request(application: server.app, on: server.app.eventLoopGroup.next())
            let answer = ProblemMiddleware.response(for: try #require(refused), on: request)
            #expect(answer.status == .serviceUnavailable && answer.headers.first(name: .retryAfter) == "1")
        }
        gate.signal()
        #expect(try await first.value == 1)
        #expect(try await pool.run { 3 } == 3)
        try await pool.pool.shutdownGracefully()
    }

    @Test("the server runs password key work on its own bounded pool")
    func keyPool() async throws {
        try await TestServer.with { server in
            #expect(server.app.pki.workers === server.app.keyWorkers.pool)
            #expect(server.app.keyWorkers.pool.capacity == 16)
        }
    }
}
