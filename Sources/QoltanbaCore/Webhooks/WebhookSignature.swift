import Crypto
import Foundation

/// The `X-Signature` header of a webhook delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<raw body>")>`, with one `v1=` per secret in use (the new and, while a secret is being
/// rotated, the old one).
public enum WebhookSignature {
    /// The header for `body` sent at `time` under `secrets`.
    public static func header(body: [UInt8], secrets: [String], time: Date) -> String {
        let timestamp = Int(time.timeIntervalSince1970)
        return (["t=\(timestamp)"] + secrets.map { "v1=\(signature(body: body, secret: $0, timestamp: timestamp))" })
            .joined(separator: ",")
    }

    /// The hex HMAC of `"<timestamp>.<body>"`.
    public static func signature(body: [UInt8], secret: String, timestamp: Int) -> String {
        let message = Array("\(timestamp).".utf8) + body
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))).hexString
    }

    /// Whether `header` carries a valid signature of `body` by `secret`, made at most `tolerance`
    /// seconds from `now` (what a receiver checks; used by the tests).
    public static func verify(header: String, body: [UInt8], secret: String, now: Date, tolerance: TimeInterval = 300) -> Bool {
        let fields = header.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        guard let timestamp = fields.first(where: { $0.first == "t" }).flatMap({ Int($0.last ?? "") }),
              abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance
        else { return false }
        let expected = signature(body: body, secret: secret, timestamp: timestamp)
        return fields.contains { $0.count == 2 && $0[0] == "v1" && $0[1].utf8.equalsInConstantTime(expected.utf8) }
    }

    /// A new secret: `whsec_` and 43 base64url characters (32 random bytes).
    public static func newSecret() -> String {
        "whsec_" + APIKeySecret.generate().value.dropFirst(3)
    }
}

/// When a failed delivery is tried again: after `base`, doubling each time up to `cap`, until
/// `attempts` have been made; then the event is dead.
public struct RetrySchedule: Hashable, Sendable {
    public var base: TimeInterval
    public var cap: TimeInterval
    public var attempts: Int

    /// The documented default: 1 minute doubling, at most 1 hour apart, 12 attempts.
    public static let standard = RetrySchedule(base: 60, cap: 3600, attempts: 12)

    public init(base: TimeInterval, cap: TimeInterval, attempts: Int) {
        self.base = base
        self.cap = cap
        self.attempts = attempts
    }

    /// The delay before the next attempt after `made` attempts have failed; nil when none is left.
    public func delay(after made: Int) -> TimeInterval? {
        guard made < attempts else { return nil }
        return min(cap, base * pow(2, Double(max(0, made - 1))))
    }
}
