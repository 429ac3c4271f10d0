import Foundation
import QoltanbaCore
import Testing

@Suite("Webhook signatures and retries")
struct WebhookSignatureTests {
    let body = Array(#"{"event":"session.finished"}"#.utf8)
    let time = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("t=<unix>,v1=<HMAC> per secret; a receiver accepts either secret, not a changed body, an old time or another secret")
    func header() {
        let header = WebhookSignature.header(body: body, secrets: ["new", "old"], time: time)
        let fields = header.split(separator: ",")
        #expect(fields.count == 3 && fields[0] == "t=1800000000")
        #expect(fields[1] == "v1=" + WebhookSignature.signature(body: body, secret: "new", timestamp: 1_800_000_000))
        #expect(fields[1].count == 3 + 64)
        #expect(WebhookSignature.verify(header: header, body: body, secret: "new", now: time))
        #expect(WebhookSignature.verify(header: header, body: body, secret: "old", now: time.addingTimeInterval(299)))
        #expect(!WebhookSignature.verify(header: header, body: body + [0x20], secret: "new", now: time))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: "other", now: time))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: "new", now: time.addingTimeInterval(301)))
        let secret = WebhookSignature.newSecret()
        #expect(secret.hasPrefix("whsec_") && secret.count == 6 + 43 && secret != WebhookSignature.newSecret())
    }

    @Test("1 minute doubling, capped at 1 hour, 12 attempts; then dead")
    func schedule() {
        let schedule = RetrySchedule.standard
        #expect((1...11).compactMap { schedule.delay(after: $0) } == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600])
        #expect(schedule.delay(after: 12) == nil)
        #expect(RetrySchedule(base: 0.5, cap: 2, attempts: 3).delay(after: 3) == nil)
    }

    @Test("a retry waits between half and all of the scheduled delay, and at least what Retry-After asks, up to the cap")
    func jitterAndRetryAfter() {
        let schedule = RetrySchedule.standard
        #expect(schedule.delay(after: 2, jitter: 0) == 120)
        #expect(schedule.delay(after: 2, jitter: 1) == 60)
        #expect(schedule.delay(after: 2, jitter: 0.5) == 90)
        #expect(schedule.delay(after: 2, jitter: 7) == 60 && schedule.delay(after: 2, jitter: -1) == 120)
        #expect(schedule.delay(after: 2, jitter: 0, retryAfter: 600) == 600)
        #expect(schedule.delay(after: 2, jitter: 0, retryAfter: 86400) == 3600)
        #expect(schedule.delay(after: 2, jitter: 0, retryAfter: 5) == 120)
        #expect(schedule.delay(after: 12, jitter: 0, retryAfter: 5) == nil)
        #expect(schedule.delay(after: Int.max - 1) == nil && RetrySchedule(base: 1, cap: 10, attempts: .max).delay(after: .max - 1) == 10)
    }

    @Test("Retry-After: seconds or an IMF-fixdate; anything else is ignored")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.seconds("120", now: now) == 120)
        #expect(RetryAfter.seconds(" 0 ", now: now) == 0)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:51:37 GMT", now: now) == 120)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:47:37 GMT", now: now) == nil)
        for junk in ["", "-5", "1.5", "12345678901", "soon", "Sun, 06 Nov 1994 08:51:37 PST", String(repeating: "9", count: 5000), "\u{0}"] {
            #expect(RetryAfter.seconds(junk, now: now) == nil, "\(junk.prefix(20))")
        }
    }
}
