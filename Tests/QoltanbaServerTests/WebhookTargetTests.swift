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

@Suite("Webhook targets: addresses, redirects, resolution")
struct WebhookTargetTests: WebhookTesting {
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
}
