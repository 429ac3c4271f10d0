#if canImport(Glibc)
import Glibc
#endif
import Vapor

/// Where a request comes from, for rate limits: the peer's address, or, when the peer is a
/// trusted proxy (`QOLTANBA_TRUSTED_PROXIES`), the nearest address in `X-Forwarded-For` that is
/// not one. IPv6 clients are counted by their /64, which one client usually holds whole.
enum ClientAddress {
    /// An address block: an address and how many leading bits of it must match.
    struct Block {
        let bytes: [UInt8]
        let prefix: Int

        /// `10.0.0.0/8`, `2001:db8::/32`, or a single address.
        init?(_ text: String) {
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = ClientAddress.bytes(String(parts[0])) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...bytes.count * 8).contains(prefix) else { return nil }
            self.bytes = bytes
            self.prefix = prefix
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            for bit in 0..<prefix where (address[bit / 8] ^ bytes[bit / 8]) & (0x80 >> UInt8(bit % 8)) != 0 { return false }
            return true
        }
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address in text; nil for anything else.
    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, from a dual-stack socket) is its IPv4 address.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let address = withUnsafeBytes(of: &v6) { Array($0) }
        return address.starts(with: mappedPrefix) ? Array(address.suffix(4)) : address
    }

    private static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]

    /// The key a request's client is counted under.
    static func key(of request: Request, trusting proxies: [Block]) -> String {
        var candidates = request.headers[.xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var address = request.remoteAddress?.ipAddress ?? "unknown"
        // From the nearest hop back: while the one that spoke to us is trusted, believe what it says.
        while let bytes = bytes(address), proxies.contains(where: { $0.contains(bytes) }), let previous = candidates.popLast() {
            address = previous
        }
        guard let bytes = bytes(address) else { return address }
        if bytes.count == 16 {
            return stride(from: 0, to: 8, by: 2).map { String(format: "%02x%02x", bytes[$0], bytes[$0 + 1]) }.joined(separator: ":") + "::/64"
        }
        return bytes.map(String.init).joined(separator: ".")
    }
}
