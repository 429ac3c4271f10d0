import NIOCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Client addresses for rate limits")
struct ClientAddressTests {
    @Test("blocks: addresses and CIDR ranges of both families; anything else refused")
    func blocks() throws {
        let block = try #require(ClientAddress.Block("10.20.0.0/16"))
        #expect(block.contains(try #require(ClientAddress.bytes("10.20.255.1"))))
        #expect(!block.contains(try #require(ClientAddress.bytes("10.21.0.1"))))
        // An IPv4-mapped address (from a dual-stack socket or a proxy's header) is its IPv4 address.
        #expect(block.contains(try #require(ClientAddress.bytes("::ffff:10.20.0.1"))))
        let single = try #require(ClientAddress.Block("192.0.2.7"))
        #expect(single.contains([192, 0, 2, 7]) && !single.contains([192, 0, 2, 8]))
        let v6 = try #require(ClientAddress.Block("2001:db8::/33"))
        #expect(v6.contains(try #require(ClientAddress.bytes("2001:db8:7fff::1"))))
        #expect(!v6.contains(try #require(ClientAddress.bytes("2001:db8:8000::1"))))
        #expect(ClientAddress.Block("0.0.0.0/0")?.contains([203, 0, 113, 9]) == true)
        for wrong in ["", "10.0.0.0/33", "10.0.0/8", "example.kz", "10.0.0.1/", "::/129", "1.2.3.4/8/9"] {
            #expect(ClientAddress.Block(wrong) == nil, "\(wrong)")
        }
    }

    @Test("the client is the peer, or behind trusted proxies the nearest untrusted X-Forwarded-For hop; IPv6 by its /64")
    func key() async throws {
        let app = try await Application.make(.testing)
        func key(peer: String, forwarded: String?, trusting: [String]) throws -> String {
            let request = Request(
                application: app, headers: forwarded.map { ["X-Forwarded-For": $0] } ?? [:],
                remoteAddress: try SocketAddress(ipAddress: peer, port: 443), on: app.eventLoopGroup.next())
            return ClientAddress.key(of: request, trusting: trusting.compactMap(ClientAddress.Block.init))
        }
        // No trusted proxy: the header is anyone's to forge.
        #expect(try key(peer: "203.0.113.9", forwarded: "198.51.100.1", trusting: []) == "203.0.113.9")
        #expect(try key(peer: "10.0.0.5", forwarded: "198.51.100.1", trusting: []) == "10.0.0.5")
        // Behind the load balancer: the client it names; a forged hop before it is not believed.
        #expect(try key(peer: "10.0.0.5", forwarded: "6.6.6.6, 198.51.100.1", trusting: ["10.0.0.0/8"]) == "198.51.100.1")
        #expect(try key(peer: "10.0.0.5", forwarded: "198.51.100.1, 10.0.0.9", trusting: ["10.0.0.0/8"]) == "198.51.100.1")
        #expect(try key(peer: "10.0.0.5", forwarded: nil, trusting: ["10.0.0.0/8"]) == "10.0.0.5")
        #expect(try key(peer: "2001:db8:1:2:aaaa::1", forwarded: nil, trusting: []) == "2001:0db8:0001:0002::/64")
        #expect(try key(peer: "::ffff:10.0.0.5", forwarded: "::ffff:198.51.100.1", trusting: ["10.0.0.0/8"]) == "198.51.100.1")
        #expect(try key(peer: "::ffff:203.0.113.9", forwarded: nil, trusting: []) == "203.0.113.9")
        #expect(try key(peer: "2001:db8:1:2:bbbb::7", forwarded: nil, trusting: []) == "2001:0db8:0001:0002::/64")
        try await app.asyncShutdown()
    }
}
