#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Which webhook URLs production accepts: only hosts whose every address is public, so that a
/// webhook cannot reach the server's own network (loopback, link-local, private, shared or
/// multicast addresses).
enum WebhookAddress {
    /// Whether every address `host` resolves to is public; false when it does not resolve.
    static func isPublic(host: String) async -> Bool {
        let addresses = await Task.detached { resolve(host) }.value
        return !addresses.isEmpty && addresses.allSatisfy(isPublic)
    }

    /// The host's IPv4 (4 bytes) and IPv6 (16 bytes) addresses.
    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [[UInt8]] = []
        for info in sequence(first: first, next: { $0.pointee.ai_next }) {
            guard let address = info.pointee.ai_addr else { continue }
            switch Int32(info.pointee.ai_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    var ip = $0.pointee.sin_addr
                    addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    var ip = $0.pointee.sin6_addr
                    addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                }
            default: continue
            }
        }
        return addresses
    }

    /// Whether an address is public.
    static func isPublic(_ address: [UInt8]) -> Bool {
        if address.count == 16 {
            // An IPv4-mapped address is judged as IPv4.
            if address.prefix(10).allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
                return isPublic(Array(address.suffix(4)))
            }
            // Loopback, unspecified and IPv4-compatible (::a.b.c.d) addresses; NAT64 (64:ff9b::/96)
            // and 6to4 (2002::/16), which embed an IPv4 address; link-local, unique local, multicast.
            let embedsIPv4 = address.prefix(12).allSatisfy { $0 == 0 }
                || address.prefix(12) == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0][...]
                || (address[0] == 0x20 && address[1] == 0x02)
            let linkLocal = address[0] == 0xFE && address[1] & 0xC0 == 0x80
            let uniqueLocal = address[0] & 0xFE == 0xFC
            let multicast = address[0] == 0xFF
            return !(embedsIPv4 || linkLocal || uniqueLocal || multicast)
        }
        guard address.count == 4 else { return false }
        let (a, b) = (address[0], address[1])
        return !(a == 0 || a == 10 || a == 127 || a >= 224
            || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
            || (a == 100 && (64...127).contains(b)) || (a == 198 && (18...19).contains(b)))
    }
}
