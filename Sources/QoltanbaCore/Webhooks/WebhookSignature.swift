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
/// `attempts` have been made; then the event is dead. The delay is jittered (a random point in its
/// upper half), so that events failed together at one receiver do not return to it together.
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

    /// The longest delay before the next attempt after `made` attempts have failed; nil when none
    /// is left.
    public func delay(after made: Int) -> TimeInterval? {
        guard made < attempts else { return nil }
        return min(cap, base * pow(2, Double(min(62, max(0, made - 1)))))
    }

    /// The delay before the next attempt after `made` attempts have failed: ``delay(after:)`` scaled
    /// by `1 - jitter / 2` (`jitter` in 0...1), but no sooner than the receiver asked (`Retry-After`,
    /// itself at most `cap`). Nil when no attempt is left.
    public func delay(after made: Int, jitter: Double, retryAfter: TimeInterval? = nil) -> TimeInterval? {
        guard let longest = delay(after: made) else { return nil }
        let jittered = longest * (1 - min(1, max(0, jitter)) / 2)
        return max(jittered, min(cap, max(0, retryAfter ?? 0)))
    }
}

/// The `Retry-After` header (RFC 9110, 10.2.3): a number of seconds or an HTTP date.
public enum RetryAfter {
    /// The seconds from `now` that `header` asks to wait; nil when it is neither form, or a date
    /// in the past.
    public static func seconds(_ header: String, now: Date) -> TimeInterval? {
        let text = header.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            return Double(text)
        }
        guard text.utf8.count <= 40, text.hasSuffix(" GMT"), let date = try? Date(text, strategy: httpDate) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds >= 0 ? seconds : nil
    }

    /// IMF-fixdate, the form every sender must use (`Sun, 06 Nov 1994 08:49:37 GMT`).
    private static let httpDate = Date.ParseStrategy(
        format: """
            \(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .padded(4)) \
            \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT
            """,
        locale: Locale(identifier: "en_US_POSIX"), timeZone: TimeZone(secondsFromGMT: 0) ?? .current)
}
