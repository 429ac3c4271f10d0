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

/// What the webhook suites share: a receiver set as the first organization's webhook, and delivery.
protocol WebhookTesting {}

extension WebhookTesting {
    /// Runs `body` with a receiver answering `status`, and the first organization's webhook set to it.
    func withWebhook(
        status: @escaping @Sendable (Int) -> HTTPStatus = { _ in .ok }, environment: [String: String] = WebhookTests.fast,
        _ body: (TestServer, WebhookReceiver) async throws -> Void
    ) async throws {
        let receiver = try await WebhookReceiver.start(status: status)
        do {
            try await TestServer.with(environment: environment) { server in
                let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
                let secret = try await WebhookSecrets.set(
                    url: receiver.url, for: organization.id, sealer: server.app.sealer, allowPrivate: true, in: server.app.stores.organizations)
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
}
