#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where a webhook is delivered: the host is resolved once, every address is checked, and the
/// delivery connects to the address that was checked (so a name that resolves elsewhere a moment
/// later, DNS rebinding, changes nothing). In production only hosts whose every address is public
/// are accepted: none of the IANA special-purpose ranges for IPv4 and IPv6.
enum WebhookAddress {
    /// Resolves a host name to its IPv4 (4 bytes) and IPv6 (16 bytes) addresses.
    typealias Resolver = @Sendable (String) -> [[UInt8]]

    /// The address to connect to for `host` (as text), or why there is none.
    static func pin(host: String, allowPrivate: Bool, resolver: @escaping Resolver) async -> Result<String, Refusal> {
        let addresses = await Task.detached { resolver(host) }.value
        guard let first = addresses.first, let text = text(of: first) else { return .failure(.unresolved(host)) }
        if !allowPrivate, !addresses.allSatisfy(isPublic) { return .failure(.special(host)) }
        return .success(text)
    }

    /// Why a webhook host is refused.
    enum Refusal: Error, CustomStringConvertible {
        case notHTTP
        case unresolved(String)
        case special(String)

        var description: String {
            switch self {
            case .notHTTP: "the webhook URL must be an absolute http or https URL"
            case .unresolved(let host): "the webhook URL's host \(host) does not resolve"
            case .special(let host):
                "the webhook URL's host \(host) resolves to a loopback, private or other special-purpose address; set QOLTANBA_WEBHOOK_ALLOW_PRIVATE=1 to allow it"
            }
        }
    }

    /// The system's resolver.
    static let system: Resolver = { host in
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

    /// An address as text (`192.0.2.1`, `2001:db8::1`).
    static func text(of address: [UInt8]) -> String? {
        let family = address.count == 4 ? AF_INET : address.count == 16 ? AF_INET6 : -1
        guard family != -1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = address.withUnsafeBytes { bytes in inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IANA IPv4 Special-Purpose Address Registry, with multicast and the limited broadcast.
    static let specialIPv4 = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ].compactMap(ClientAddress.Block.init)

    /// The IANA IPv6 Special-Purpose Address Registry, with the deprecated site-local range,
    /// multicast, and the IPv4-compatible range. IPv4-mapped addresses are judged as IPv4.
    static let specialIPv6 = [
        "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23", "2001:db8::/32",
        "2002::/16", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].compactMap(ClientAddress.Block.init)

    /// `::ffff:0:0/96`, IPv4-mapped addresses.
    static let mappedIPv4Prefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]

    /// Whether an address is outside every special-purpose range.
    static func isPublic(_ address: [UInt8]) -> Bool {
        switch address.count {
        case 4:
            return !specialIPv4.contains { $0.contains(address) }
        case 16:
            if address.starts(with: mappedIPv4Prefix) { return isPublic(Array(address.suffix(4))) }
            return !specialIPv6.contains { $0.contains(address) }
        default:
            return false
        }
    }
}
