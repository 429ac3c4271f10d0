import Crypto
import Foundation

/// An SMS code sent and not yet used: only its keyed hash is kept.
public struct PendingCode: Hashable, Sendable, Codable {
    /// Hex HMAC-SHA256 of the code and its context.
    public var hash: String
    /// When the code stops being accepted.
    public var expiresAt: Date

    /// A pending code as stored.
    public init(hash: String, expiresAt: Date) {
        self.hash = hash
        self.expiresAt = expiresAt
    }

    /// How long a code is accepted.
    public static let lifetime: TimeInterval = 5 * 60

    /// A new random 6-digit code for `context` (e.g. the session and the step), and what to keep of it.
    public static func issue(key: SymmetricKey, context: String, now: Date) -> (code: String, pending: PendingCode) {
        let code = String(format: "%06d", Int.random(in: 0...999_999))
        return (code, PendingCode(hash: digest(code, key: key, context: context), expiresAt: now.addingTimeInterval(lifetime)))
    }

    /// Whether `code` is this one and still valid at `now`.
    public func accepts(_ code: String, key: SymmetricKey, context: String, now: Date) -> Bool {
        guard now < expiresAt else { return false }
        let candidate = Self.digest(code.trimmingCharacters(in: .whitespaces), key: key, context: context)
        return candidate.utf8.equalsInConstantTime(hash.utf8)
    }

    private static func digest(_ code: String, key: SymmetricKey, context: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(context):\(code)".utf8), using: key)).hexString
    }
}
