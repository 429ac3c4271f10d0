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
}
