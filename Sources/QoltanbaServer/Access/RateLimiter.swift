import Foundation
import NIOConcurrencyHelpers
import QoltanbaPersistence
import Vapor

/// Counts the integrator API's requests per API key in fixed one-minute windows (aligned to the
/// clock's minutes) and refuses those past the limit.
///
/// Counting is local: a request never waits for the database. On PostgreSQL every instance shares
/// its counts once a second (``share(in:)``, run by a background job): in one statement it adds
/// what it counted since the last time to the minute's row of each key it has seen, and learns the
/// totals all instances have counted. An instance therefore sees the other instances' requests at most a second late, so
/// across N instances a key can get at most the limit plus what the other N − 1 instances serve it
/// in one second. On SQLite there is one instance and the count is exact.
final class RateLimiter: Sendable {
    /// The verdict on one request, and the headers every API answer carries.
    struct Decision: Sendable {
        let allowed: Bool
        let limit: Int
        let remaining: Int
        /// Seconds until the window ends and the count starts again.
        let reset: Int

        func apply(to headers: inout HTTPHeaders) {
            headers.replaceOrAdd(name: "X-RateLimit-Limit", value: String(limit))
            headers.replaceOrAdd(name: "X-RateLimit-Remaining", value: String(remaining))
            headers.replaceOrAdd(name: "X-RateLimit-Reset", value: String(reset))
            if !allowed { headers.replaceOrAdd(name: .retryAfter, value: String(reset)) }
        }
    }

    private struct Window {
        var minute: Int64 = 0
        /// The totals of all instances, as last learned.
        var shared: [String: Int] = [:]
        /// What this instance counted since it last shared.
        var unshared: [String: Int] = [:]
        /// Whether the rows of earlier minutes were removed during this one.
        var purged = false
    }

    /// Requests per minute and key; 0: no limit.
    let limit: Int
    private let window = NIOLockedValueBox(Window())

    init(limit: Int) {
        self.limit = limit
    }

    private static func minute(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }

    /// Counts a request of `key` unless the key has used up the minute's limit; nil when there is no limit.
    func count(_ key: String, now: Date = Date()) -> Decision? {
        guard limit > 0 else { return nil }
        let minute = Self.minute(of: now)
        let reset = max(1, Int((Double(minute + 1) * 60 - now.timeIntervalSince1970).rounded(.up)))
        return window.withLockedValue { window in
            if window.minute != minute { window = Window(minute: minute) }
            let used = window.shared[key, default: 0] + window.unshared[key, default: 0]
            guard used < limit else { return Decision(allowed: false, limit: limit, remaining: 0, reset: reset) }
            window.unshared[key, default: 0] += 1
            return Decision(allowed: true, limit: limit, remaining: limit - used - 1, reset: reset)
        }
    }

    /// Adds this instance's new counts to the shared ones and takes back the totals of all instances.
    func share(in store: RateLimitStore) async throws {
        guard limit > 0 else { return }
        // Every key seen this minute: the new counts, and 0 for the others to learn their totals.
        let (minute, counts) = window.withLockedValue { window in
            defer { window.unshared = [:] }
            return (window.minute, window.unshared.merging(window.shared.mapValues { _ in 0 }) { new, _ in new })
        }
        guard !counts.isEmpty else { return }
        let totals: [String: Int]
        do {
            totals = try await store.add(counts, minute: minute)
        } catch {
            // Not shared: count them again next time.
            window.withLockedValue { window in
                guard window.minute == minute else { return }
                for (key, count) in counts { window.unshared[key, default: 0] += count }
            }
            throw error
        }
        window.withLockedValue { window in
            guard window.minute == minute else { return }
            // A total includes what this instance just added; what it counted since stays unshared.
            window.shared.merge(totals) { _, total in total }
        }
        // Once a minute per instance, the rows of minutes before the last are removed.
        let purge = window.withLockedValue { window in
            defer { window.purged = true }
            return window.minute == minute && !window.purged
        }
        if purge { try await store.forget(before: minute - 1) }
    }
}

extension Application {
    /// The API's rate limiter (made by `configure`).
    var rateLimiter: RateLimiter {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
