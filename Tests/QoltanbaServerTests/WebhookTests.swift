import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QoltanbaCore
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import Vapor

/// A local webhook receiver: answers with `status(n)` to its n-th request (from 1) and keeps
/// every delivery with whether its signature verified against the secret.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let id: String?
        let body: [UInt8]
        let verified: Bool
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    let app: Application
    let url: String
    private let box: NIOLockedValueBox<(secrets: [String], deliveries: [Delivery])>

    var deliveries: [Delivery] { box.withLockedValue { $0.deliveries } }

    /// The secrets a delivery's signature is checked against (any of them verifies it).
    func trust(_ secrets: [String]) { box.withLockedValue { $0.secrets = secrets } }

    private init(app: Application, url: String, box: NIOLockedValueBox<(secrets: [String], deliveries: [Delivery])>) {
        self.app = app
        self.url = url
        self.box = box
    }

    static func start(status: @escaping @Sendable (Int) -> HTTPStatus = { _ in .ok }) async throws -> WebhookReceiver {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        let box = NIOLockedValueBox<(secrets: [String], deliveries: [Delivery])>(([], []))
        app.on(.POST, "hook", body: .collect(maxSize: "1mb")) { request -> HTTPStatus in
            let body = request.body.data.map { Array($0.readableBytesView) } ?? []
            let header = request.headers.first(name: "X-Signature") ?? ""
            let count = box.withLockedValue { state in
                let verified = state.secrets.contains { WebhookSignature.verify(header: header, body: body, secret: $0, now: Date()) }
                state.deliveries.append(Delivery(id: request.headers.first(name: "X-Webhook-Id"), body: body, verified: verified))
                return state.deliveries.count
            }
            return status(count)
        }
        // Busy: asks to be tried again after `?after=` (a Retry-After value).
        app.post("busy") { request in
            Response(status: .serviceUnavailable, headers: ["Retry-After": (try? request.query.get(String.self, at: "after")) ?? ""])
        }
        // Sends the delivery on to /hook: a webhook must not follow it.
        app.post("moved") { _ in
            Response(status: .temporaryRedirect, headers: ["Location": "/hook"])
        }
        try await app.server.start()
        let port = try #require(app.http.server.shared.localAddress?.port)
        return WebhookReceiver(app: app, url: "http://127.0.0.1:\(port)/hook", box: box)
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

/// A receiver that accepts connections and never answers, counting them.
final class BlackHole: Sendable {
    private let channel: any Channel
    private let accepted: NIOLockedValueBox<Int>
    let url: String

    var connections: Int { accepted.withLockedValue { $0 } }

    private init(channel: any Channel, accepted: NIOLockedValueBox<Int>, url: String) {
        self.channel = channel
        self.accepted = accepted
        self.url = url
    }

    static func start() async throws -> BlackHole {
        let accepted = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                accepted.withLockedValue { $0 += 1 }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        return BlackHole(channel: channel, accepted: accepted, url: "http://127.0.0.1:\(port)/hook")
    }

    func stop() async throws {
        try await channel.close()
    }
}

@Suite("Webhooks")
struct WebhookTests {
    /// Retries at once, and a receiver timeout with room for a loaded machine (every suite runs at once).
    static let fast = [
        "QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "0.01", "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "0.01", "QOLTANBA_WEBHOOK_ATTEMPTS": "3",
        "QOLTANBA_WEBHOOK_TIMEOUT_SECONDS": "60",
    ]

    /// Runs `body` with a receiver answering `status`, and the first organization's webhook set to it.
    func withWebhook(
        status: @escaping @Sendable (Int) -> HTTPStatus = { _ in .ok }, environment: [String: String] = fast,
        _ body: (TestServer, WebhookReceiver) async throws -> Void
    ) async throws {
        let receiver = try await WebhookReceiver.start(status: status)
        do {
            try await TestServer.with(environment: environment) { server in
                let organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
                let secret = try await WebhookSecrets.set(
                    url: receiver.url, for: organization, masterKey: server.app.pki.masterKey, allowPrivate: true, in: server.app.stores.organizations)
                receiver.trust([secret])
                try await body(server, receiver)
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    /// Delivers until nothing is due (retries are due at once with the fast schedule).
    func deliverAll(_ app: Application) async throws {
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(20))
            if try await WebhookDispatcher.deliverDue(app) == 0 { return }
        }
    }

    /// A session with a document, opened in the signing client: one `session.process` event, delivered.
    func openSession(_ server: TestServer) async throws {
        let session = try await server.createSession()
        _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
        var browser = Browser(server, session: session)
        try await browser.open()
        try await deliverAll(server.app)
    }

    func events(_ server: TestServer) async throws -> [WebhookEventModel] {
        try await WebhookEventModel.query(on: server.app.db).sort(\.$createdAt).all()
    }

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
                try await WebhookEventModel(
                    id: UUID(), organizationID: server.organizationID, sessionID: session, event: event,
                    payload: #"{"session_id":"\#(session.apiString)","event":"\#(event)"}"#, at: now.addingTimeInterval(-age)
                ).create(on: server.app.db)
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
            #expect(again.state == "pending" && again.attempts == 0)
            try await deliverAll(server.app)
            #expect(receiver.deliveries.count == 6)
        }
    }

    @Test("while a secret is rotated both sign; organizations without a webhook write no events")
    func rotation() async throws {
        try await withWebhook { server, receiver in
            let organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            let old = try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date())
            let new = try await WebhookSecrets.set(
                url: receiver.url, for: organization, masterKey: server.app.pki.masterKey, allowPrivate: true, in: server.app.stores.organizations)
            let secrets = try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date())
            #expect(secrets == [new] + old)
            #expect(try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date().addingTimeInterval(25 * 3600)) == [new])
            #expect(organization.webhookSecret.map { !String(decoding: $0, as: UTF8.self).contains(new) } == true)

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

    @Test("a redirect is not followed: it is a failed attempt")
    func redirects() async throws {
        try await withWebhook { server, receiver in
            let organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            organization.webhookURL = receiver.url.replacingOccurrences(of: "/hook", with: "/moved")
            try await organization.save(on: server.app.db)
            try await openSession(server)
            #expect(receiver.deliveries.isEmpty)
            let event = try #require(try await events(server).first)
            #expect(event.state == "dead" && event.lastStatus == 307)
        }
    }

    @Test("production refuses webhook URLs on loopback, link-local and private addresses unless allowed")
    func addresses() async throws {
        for url in ["http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.1.1/x", "http://169.254.169.254/x",
                    "http://[::1]/x", "http://172.20.0.1/x", "ftp://example.kz/x", "not a url"] {
            #expect(await WebhookSecrets.refusal(of: url, allowPrivate: false) != nil, "\(url)")
        }
        #expect(await WebhookSecrets.refusal(of: "https://8.8.8.8/hook", allowPrivate: false) == nil)
        #expect(await WebhookSecrets.refusal(of: "http://127.0.0.1:8080/x", allowPrivate: true) == nil)
        #expect(WebhookAddress.isPublic([0x2a, 0x00, 0x14, 0x50] + Array(repeating: 0, count: 11) + [1]))
        #expect(WebhookAddress.isPublic([8, 8, 8, 8]) && WebhookAddress.isPublic([193, 0, 2, 1]))
        // Every special-purpose range of the IANA registries, the ones once missed among them.
        for special in ["fec0::1", "64:ff9b:1::1", "192.0.0.170", "2001::1", "2001:db8::1", "2001:20::1", "100::1", "5f00::1",
                        "3fff::1", "192.88.99.1", "198.51.100.1", "203.0.113.1", "240.0.0.1", "255.255.255.255", "0.1.2.3",
                        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::", "ff02::1", "fe80::1", "fd00::1", "100.64.0.1", "2002:a00::1"] {
            #expect(!WebhookAddress.isPublic(try #require(ClientAddress.bytes(special))), "\(special)")
        }
        // A resolver may give an IPv4-mapped IPv6 address: it is judged as the IPv4 address it maps.
        #expect(!WebhookAddress.isPublic(Array(repeating: 0, count: 10) + [0xFF, 0xFF, 10, 0, 0, 1]))
        #expect(WebhookAddress.isPublic(Array(repeating: 0, count: 10) + [0xFF, 0xFF, 8, 8, 8, 8]))
        #expect(!WebhookAddress.isPublic([0xfd] + Array(repeating: 0, count: 15)))
        #expect(!WebhookAddress.isPublic([0, 0x64, 0xFF, 0x9B] + Array(repeating: 0, count: 8) + [127, 0, 0, 1]))
        #expect(!WebhookAddress.isPublic([0x20, 0x02, 10, 0, 0, 1] + Array(repeating: 0, count: 10)))
        #expect(!WebhookAddress.isPublic([198, 18, 0, 1]))
    }

    @Test("a webhook host is resolved once per delivery and the delivery connects to the address that was checked")
    func pinnedAddress() async throws {
        try await withWebhook { server, receiver in
            // A name no real resolver knows: only the double's answer can lead the delivery to the receiver.
            let calls = NIOLockedValueBox(0)
            server.app.webhookResolver = { host in
                calls.withLockedValue { $0 += 1 }
                return host == "hooks.pinned.test" ? [[127, 0, 0, 1]] : []
            }
            let organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            organization.webhookURL = receiver.url.replacingOccurrences(of: "127.0.0.1", with: "hooks.pinned.test")
            try await organization.save(on: server.app.db)
            try await openSession(server)
            #expect(receiver.deliveries.count == 1)
            #expect(calls.withLockedValue { $0 } == 1)
        }
        // A name that resolves to a public and a special-purpose address at once is refused whole,
        // and one that changes its answer between the check and the connection cannot be: there is
        // only one resolution.
        let rebinding: WebhookAddress.Resolver = { _ in [[93, 184, 216, 34], [10, 0, 0, 1]] }
        #expect(await WebhookSecrets.refusal(of: "https://hooks.example.kz/x", allowPrivate: false, resolver: rebinding) != nil)
        let publicOnly: WebhookAddress.Resolver = { _ in [[93, 184, 216, 34]] }
        guard case .success(let target) = await WebhookSecrets.target(
            of: "https://hooks.example.kz:8443/x", allowPrivate: false, resolver: publicOnly)
        else {
            Issue.record("a public host was refused")
            return
        }
        #expect(target.host == "hooks.example.kz" && target.address == "93.184.216.34")
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
            _ = try await WebhookSecrets.set(url: hole.url, for: slow, masterKey: app.pki.masterKey, allowPrivate: true, in: app.stores.organizations)
            let healthy = try #require(try await OrganizationModel.find(server.organizationID, on: db))
            receiver.trust([
                try await WebhookSecrets.set(url: receiver.url, for: healthy, masterKey: app.pki.masterKey, allowPrivate: true, in: app.stores.organizations),
            ])
            let slowKey = try await app.stores.organizations.createAPIKey(for: slow, label: "test").1.value
            // Each event of a session of its own (a session's events go one at a time).
            func event(of organization: OrganizationModel, at time: Date) async throws -> WebhookEventModel {
                let session = try await server.createSession(key: organization.id == slow.id ? slowKey : nil)
                return WebhookEventModel(
                    id: UUID(), organizationID: try organization.requireID(), sessionID: session, event: "session.process", payload: #"{"n":1}"#, at: time)
            }
            // Six events for the black hole, due before any of the other organization's.
            for index in 0..<6 { try await event(of: slow, at: Date().addingTimeInterval(Double(index) - 60)).create(on: db) }
            let round = Task { try await WebhookDispatcher.deliverDue(app) }
            try await Task.sleep(for: .milliseconds(500))
            var fresh: [WebhookEventModel] = []
            for _ in 0..<3 { fresh.append(try await event(of: healthy, at: Date())) }
            let posted = Date()
            for event in fresh { try await event.create(on: db) }
            while receiver.deliveries.count < 3, Date().timeIntervalSince(posted) < 10 {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(receiver.deliveries.count == 3 && receiver.deliveries.allSatisfy(\.verified))
            #expect(Date().timeIntervalSince(posted) < 5, "the healthy receiver waited \(Date().timeIntervalSince(posted)) s")
            #expect(hole.connections == 2)

            round.cancel()
            #expect(try await round.value == 2 + 3)
            let held = try await WebhookEventModel.query(on: db).filter(\.$organization.$id == slow.requireID()).all()
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
            try await server.app.stores.organizations.save(organization)
            let session = try await server.createSession()
            _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: session)
            try await browser.open()
            let before = Date()
            #expect(try await WebhookDispatcher.deliverDue(server.app) == 1)
            let event = try #require(try await events(server).first)
            #expect(event.state == "pending" && event.attempts == 1 && event.lastStatus == 503)
            let delay = event.nextAttemptAt.timeIntervalSince(before)
            // Without a usable Retry-After: the first delay (30 s), jittered into its upper half.
            let lowest = header == "soon" ? expected / 2 : expected
            #expect(delay >= lowest - 0.5 && delay <= expected + 2, "next attempt in \(delay) s")
        }
    }
}
