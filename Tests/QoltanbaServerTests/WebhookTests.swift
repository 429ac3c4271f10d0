import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import Vapor

@Suite("Webhooks")
struct WebhookTests: WebhookTesting {
    /// Retries at once, and a receiver timeout with room for a loaded machine (every suite runs at once).
    static let fast = [
        "QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "0.01", "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "0.01", "QOLTANBA_WEBHOOK_ATTEMPTS": "3",
        "QOLTANBA_WEBHOOK_TIMEOUT_SECONDS": "60",
    ]

    @Test("a finished and a canceled session: each status change is delivered once, signed, with the documented fields")
    func finishedAndCanceled() async throws {
        try await withWebhook { server, receiver in
            let signed = try await server.createSession()
            _ = try await server.uploadBase64(session: signed.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: signed)
            try await browser.signEverything()
            let failed = try await server.createSession(iin: "800416300257", phone: "77051234567")
            _ = try await server.uploadBase64(session: failed.apiString, name: "a.pdf", file: Samples.pdf)
            var failing = Browser(server, session: failed)
            try await failing.open()
            _ = try await failing.post("documents")
            _ = try await failing.sendFrames()
            try await deliverAll(server.app)

            // Concurrent deliveries: each session's events in order, the sessions in any order.
            let deliveries = receiver.deliveries.sorted { ($0.json["session_id"] as? String == signed.apiString ? 0 : 1) < ($1.json["session_id"] as? String == signed.apiString ? 0 : 1) }
            #expect(deliveries.map { $0.json["event"] as? String } == ["session.process", "session.finished", "session.process", "session.canceled"])
            #expect(deliveries.allSatisfy { $0.verified })
            #expect(deliveries.allSatisfy { $0.id != nil && $0.id == $0.json["id"] as? String })
            let finished = deliveries[1].json
            #expect(finished["session_id"] as? String == signed.apiString && finished["success"] as? Bool == true)
            #expect(finished["status"] as? String == "FINISHED" && finished["failure_reason"] is NSNull && finished["metadata"] is NSNull)
            #expect(finished["check_id"] as? String == (try await SigningSessionModel.find(signed, on: server.app.db))?.checkID.apiString)
            let canceled = deliveries[3].json
            #expect((canceled["failure_reason"] as? [String: Any])?["type"] as? String == "LIVENESS")
            #expect(canceled["success"] as? Bool == false)
            #expect(try await events(server).allSatisfy { $0.state == "delivered" && $0.attempts == 1 })
        }
    }

    @Test("a session's later event waits while an earlier one is pending; another session's event goes on")
    func perSessionOrder() async throws {
        // One delivery at a time, so the first to go is the oldest; the first fails and its retry is far off.
        let environment = Self.fast.merging([
            "QOLTANBA_WEBHOOK_CONCURRENCY": "1", "QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "600", "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "600",
        ]) { $1 }
        try await withWebhook(status: { $0 == 1 ? .internalServerError : .ok }, environment: environment) { server, receiver in
            let (first, other, now) = (try await server.createSession(), try await server.createSession(), Date())
            for (session, event, age) in [(first, "session.process", 3.0), (first, "session.finished", 2), (other, "session.process", 1)] {
                try await server.app.stores.webhooks.add(.new(
                    id: UUID(), organizationID: server.organizationID, sessionID: session, event: event,
                    payload: #"{"session_id":"\#(session.apiString)","event":"\#(event)"}"#, at: now.addingTimeInterval(-age)))
            }
            try await WebhookDispatcher.deliverDue(server.app)
            let sent = { receiver.deliveries.map { "\($0.json["session_id"] as? String == first.apiString ? "first" : "other") \($0.json["event"] as? String ?? "")" } }
            #expect(sent() == ["first session.process", "other session.process"])
            let waiting = try #require(try await events(server).first { $0.event == "session.finished" })
            #expect(waiting.state == "pending" && waiting.attempts == 0)

            // The retry falls due: the first event goes, then the one that waited for it.
            let failed = try #require(try await events(server).first { $0.sessionID == first && $0.event == "session.process" })
            failed.nextAttemptAt = now.addingTimeInterval(-10)
            try await failed.save(on: server.app.db)
            try await WebhookDispatcher.deliverDue(server.app)
            #expect(sent() == ["first session.process", "other session.process", "first session.process", "first session.finished"])
        }
    }

    @Test("a receiver that fails twice gets the event on the third try; one that never answers 2xx ends dead; redelivery")
    func retries() async throws {
        try await withWebhook(status: { $0 <= 2 ? .internalServerError : .ok }) { server, receiver in
            try await openSession(server)
            let event = try #require(try await events(server).first)
            #expect(event.state == "delivered" && event.attempts == 3 && event.lastStatus == 200)
            let attempts = try await WebhookAttemptModel.query(on: server.app.db).sort(\.$attemptedAt).all()
            #expect(attempts.map(\.status) == [500, 500, 200])
            #expect(Set(receiver.deliveries.map(\.id)).count == 1)
        }
        try await withWebhook(status: { _ in .serviceUnavailable }) { server, receiver in
            try await openSession(server)
            let event = try #require(try await events(server).first)
            #expect(event.state == "dead" && event.attempts == 3)
            #expect(receiver.deliveries.count == 3)

            let again = try await WebhookSecrets.redeliver(try event.requireID().apiString, in: server.app.stores.webhooks)
            #expect(again.state == .pending && again.attempts == 0)
            try await deliverAll(server.app)
            #expect(receiver.deliveries.count == 6)
        }
    }

    @Test("while a secret is rotated both sign; organizations without a webhook write no events")
    func rotation() async throws {
        try await withWebhook { server, receiver in
            let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            let old = try WebhookSecrets.all(of: organization, sealer: server.app.sealer, now: Date())
            let new = try await WebhookSecrets.set(
                url: receiver.url, for: organization.id, sealer: server.app.sealer, allowPrivate: true, in: server.app.stores.organizations)
            let updated = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            let secrets = try WebhookSecrets.all(of: updated, sealer: server.app.sealer, now: Date())
            #expect(secrets == [new] + old)
            #expect(try WebhookSecrets.all(of: updated, sealer: server.app.sealer, now: Date().addingTimeInterval(25 * 3600)) == [new])
            #expect(updated.webhookSecret.map { !String(decoding: $0, as: UTF8.self).contains(new) } == true)

            for secret in [new] + old {
                receiver.trust([secret])
                let session = try await server.createSession()
                _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
                var browser = Browser(server, session: session)
                try await browser.open()
                try await deliverAll(server.app)
                #expect(receiver.deliveries.last?.verified == true)
            }
            // The second organization has no webhook.
            let other = try await server.createSession(key: server.otherKey)
            _ = try await server.uploadBase64(session: other.apiString, name: "a.pdf", file: Samples.pdf, key: server.otherKey)
            var browser = Browser(server, session: other)
            try await browser.open()
            #expect(try await WebhookEventModel.query(on: server.app.db).filter(\.$sessionID == other).count() == 0)
        }
    }

    @Test("two instances on one database deliver each event exactly once")
    func twoInstances() async throws {
        // Two applications in one process share SQLiteNIO's thread pool (a thread per core): with
        // several deliveries each, writers waiting for SQLite's lock could hold every thread the
        // lock's holder needs. Separate processes, or PostgreSQL, deliver concurrently.
        let environment = TestServer.usesPostgres ? Self.fast : Self.fast.merging(["QOLTANBA_WEBHOOK_CONCURRENCY": "1"]) { $1 }
        try await withWebhook(environment: environment) { server, receiver in
            for _ in 0..<12 {
                let session = try await server.createSession()
                _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
                var browser = Browser(server, session: session)
                try await browser.open()
            }
            let second = try await Application.make(.testing)
            do {
                try await configure(second, with: server.app.qoltanba)
                try await second.prepareDatabase()
                async let first: Int = WebhookDispatcher.deliverDue(server.app)
                async let other: Int = WebhookDispatcher.deliverDue(second)
                let attempted = try await first + other
                #expect(attempted == 12)
            } catch {
                try await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
            let ids = receiver.deliveries.compactMap(\.id)
            #expect(ids.count == 12 && Set(ids).count == 12)
            #expect(try await events(server).allSatisfy { $0.state == "delivered" && $0.attempts == 1 })
        }
    }

    @Test("a receiver that never answers holds only its organization's share: another organization's events arrive at once; shutdown gives the claims back")
    func blackHole() async throws {
        let hole = try await BlackHole.start()
        let receiver = try await WebhookReceiver.start()
        let environment = Self.fast.merging([
            "QOLTANBA_WEBHOOK_CONCURRENCY": "4", "QOLTANBA_WEBHOOK_CONCURRENCY_PER_ORGANIZATION": "2", "QOLTANBA_WEBHOOK_POLL_SECONDS": "0.1",
        ]) { $1 }
        try await TestServer.with(environment: environment) { server in
            let (app, db) = (server.app, server.app.db)
            let slow = try await app.stores.organizations.createOrganization(named: "Slow receiver")
            _ = try await WebhookSecrets.set(url: hole.url, for: slow.id, sealer: app.sealer, allowPrivate: true, in: app.stores.organizations)
            let healthy = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            receiver.trust([
                try await WebhookSecrets.set(url: receiver.url, for: healthy.id, sealer: app.sealer, allowPrivate: true, in: app.stores.organizations),
            ])
            let slowKey = try await app.stores.organizations.createAPIKey(for: slow.id, label: "test").secret.value
            // Each event of a session of its own (a session's events go one at a time).
            func event(of organization: Organization, at time: Date) async throws -> WebhookEvent {
                let session = try await server.createSession(key: organization.id == slow.id ? slowKey : nil)
                return .new(
                    id: UUID(), organizationID: organization.id, sessionID: session, event: "session.process", payload: #"{"n":1}"#, at: time)
            }
            // Six events for the black hole, due before any of the other organization's.
            for index in 0..<6 { try await app.stores.webhooks.add(try await event(of: slow, at: Date().addingTimeInterval(Double(index) - 60))) }
            let round = Task { try await WebhookDispatcher.deliverDue(app) }
            try await Task.sleep(for: .milliseconds(500))
            var fresh: [WebhookEvent] = []
            for _ in 0..<3 { fresh.append(try await event(of: healthy, at: Date())) }
            let posted = Date()
            for event in fresh { try await app.stores.webhooks.add(event) }
            while receiver.deliveries.count < 3, Date().timeIntervalSince(posted) < 10 {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(receiver.deliveries.count == 3 && receiver.deliveries.allSatisfy(\.verified))
            #expect(Date().timeIntervalSince(posted) < 5, "the healthy receiver waited \(Date().timeIntervalSince(posted)) s")
            #expect(hole.connections == 2)

            round.cancel()
            #expect(try await round.value == 2 + 3)
            let held = try await WebhookEventModel.query(on: db).filter(\.$organization.$id == slow.id).all()
            #expect(held.count == 6 && held.allSatisfy { $0.state == "pending" && $0.attempts == 0 && $0.claimedUntil == nil })
            #expect(try await WebhookAttemptModel.query(on: db).count() == 3)
        }
        try await receiver.stop()
        try await hole.stop()
    }

    @Test("a receiver's Retry-After sets the next attempt, up to the retry cap", arguments: [("120", 120.0), ("86400", 600.0), ("soon", 30.0)])
    func retryAfter(_ header: String, _ expected: Double) async throws {
        // A first delay long enough that no retry falls due while the test runs.
        let environment = Self.fast.merging(["QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "30", "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "600"]) { $1 }
        try await withWebhook(environment: environment) { server, receiver in
            let organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            organization.webhookURL = receiver.url.replacingOccurrences(of: "/hook", with: "/busy?after=\(header)")
            try await organization.save(on: server.app.db)
            let session = try await server.createSession()
            _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: session)
            try await browser.open()
            let before = Date()
            #expect(try await WebhookDispatcher.deliverDue(server.app) == 1)
            let after = Date()
            let event = try #require(try await events(server).first)
            #expect(event.state == "pending" && event.attempts == 1 && event.lastStatus == 503)
            // The delay counts from the attempt, which ended between `before` and `after` (a loaded
            // machine may take seconds for it).
            let (earliest, latest) = (event.nextAttemptAt.timeIntervalSince(after), event.nextAttemptAt.timeIntervalSince(before))
            // Without a usable Retry-After: the first delay (30 s), jittered into its upper half.
            let lowest = header == "soon" ? expected / 2 : expected
            let delay = latest
            #expect(latest >= lowest - 0.5 && earliest <= expected + 0.5, "next attempt in \(delay) s")
        }
    }
}
