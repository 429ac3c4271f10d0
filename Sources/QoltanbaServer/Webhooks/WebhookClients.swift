import AsyncHTTPClient
import NIOConcurrencyHelpers
import Vapor

/// The HTTP clients that deliver webhooks, kept for the process's life so that deliveries to a
/// receiver reuse its connections: one client per receiver host and the address checked for it.
/// (AsyncHTTPClient pins a host to an address per client, `dnsOverride`; the pin is what keeps a
/// delivery on the address that was checked, so one client cannot serve every receiver.) Closed
/// at shutdown, after the background work has stopped.
final class WebhookClients: LifecycleHandler, Sendable {
    /// How many receivers keep a client; a delivery to one more gets a client of its own, closed
    /// after it.
    static let limit = 256

    private struct Pin: Hashable {
        let host: String
        let address: String
    }

    /// The kept clients; nil once closed (a delivery still running then gets a client of its own).
    private let clients = NIOLockedValueBox<[Pin: HTTPClient]?>([:])
    private let group: any EventLoopGroup

    init(eventLoopGroup: any EventLoopGroup) {
        group = eventLoopGroup
    }

    /// Runs `body` with the client for `host` pinned to `address`, following no redirect (a
    /// receiver cannot send a delivery on to a refused address).
    func with<T: Sendable>(host: String, address: String, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let pin = Pin(host: host, address: address)
        let (client, kept) = clients.withLockedValue { clients -> (HTTPClient, Bool) in
            if let client = clients?[pin] { return (client, true) }
            let client = makeClient(pin)
            guard let count = clients?.count, count < Self.limit else { return (client, false) }
            clients?[pin] = client
            return (client, true)
        }
        if kept { return try await body(client) }
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func makeClient(_ pin: Pin) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.dnsOverride = [pin.host: pin.address]
        return HTTPClient(eventLoopGroup: group, configuration: configuration)
    }

    func shutdownAsync(_ application: Application) async {
        let open = clients.withLockedValue { clients in
            defer { clients = nil }
            return clients.map { Array($0.values) } ?? []
        }
        for client in open { try? await client.shutdown() }
    }
}

extension Application {
    /// The webhook clients (made by `configure`).
    var webhookClients: WebhookClients {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
