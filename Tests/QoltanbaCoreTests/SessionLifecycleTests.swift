import Foundation
import QoltanbaCore
import Testing

@Suite("Session lifecycle")
struct SessionLifecycleTests {
    let created = Date(timeIntervalSince1970: 1_700_000_000)

    func fresh() -> SessionLifecycle { .new(createdAt: created, timeToLive: 1800) }

    @Test("a new session is STARTED, accepts documents and expires after its time to live")
    func newSession() {
        let lifecycle = fresh()
        #expect(lifecycle.state == .started)
        #expect(lifecycle.acceptsDocuments)
        #expect(lifecycle.expiresAt == created.addingTimeInterval(1800))
    }

    @Test("STARTED → PROCESS → FINISHED")
    func happyPath() {
        var lifecycle = fresh()
        #expect(lifecycle.open() == .changed(from: .started, to: .process))
        #expect(!lifecycle.acceptsDocuments)
        #expect(lifecycle.open() == .unchanged)
        #expect(lifecycle.finish() == .changed(from: .process, to: .finished))
        #expect(lifecycle.state.status == .finished)
        #expect(lifecycle.state.failureReason == nil)
    }

    @Test("a STARTED session cannot finish without being opened")
    func finishRequiresProcess() {
        var lifecycle = fresh()
        #expect(lifecycle.finish() == .refused(.started))
        #expect(lifecycle.state == .started)
    }

    @Test("failure cancels from STARTED and from PROCESS with its reason")
    func cancel() {
        var started = fresh()
        #expect(started.cancel(ClientFailure.faceToFace.failureReason)
            == .changed(from: .started, to: .canceled(FailureReason(.faceToFace))))
        var process = fresh()
        _ = process.open()
        #expect(process.cancel(FailureReason(.other)) == .changed(from: .process, to: .canceled(FailureReason(.other))))
        #expect(process.state.failureReason == FailureReason(type: .other, detail: "Other"))
    }

    @Test("a final status never changes again")
    func finalIsFinal() {
        var finished = fresh()
        _ = finished.open()
        _ = finished.finish()
        #expect(finished.open() == .refused(.finished))
        #expect(finished.cancel(.expired) == .refused(.finished))
        #expect(finished.expireIfDue(at: created.addingTimeInterval(99_999)) == .unchanged)
        #expect(finished.state == .finished)

        var canceled = fresh()
        _ = canceled.cancel(FailureReason(.liveness))
        #expect(canceled.open() == .refused(.canceled))
        #expect(canceled.finish() == .refused(.canceled))
        #expect(canceled.cancel(FailureReason(.other)) == .refused(.canceled))
        #expect(canceled.state == .canceled(FailureReason(.liveness)))
    }

    @Test("expiry: nothing before the deadline, EXPIRED from it on, for STARTED and PROCESS")
    func expiry() {
        var started = fresh()
        #expect(started.expireIfDue(at: created.addingTimeInterval(1799.9)) == .unchanged)
        #expect(started.expireIfDue(at: created.addingTimeInterval(1800))
            == .changed(from: .started, to: .canceled(.expired)))
        #expect(started.state.failureReason == FailureReason(type: .expired, detail: "Session has expired"))

        var process = fresh()
        _ = process.open()
        #expect(process.expireIfDue(at: created.addingTimeInterval(5000))
            == .changed(from: .process, to: .canceled(.expired)))
        #expect(process.expireIfDue(at: created.addingTimeInterval(6000)) == .unchanged)
    }
}

@Suite("Failure reasons")
struct FailureReasonTests {
    @Test("the API reference's detail texts")
    func details() {
        #expect(FailureReason(.expired).detail == "Session has expired")
        #expect(FailureReason(.liveness).detail == "Liveness or F2F failed")
        #expect(FailureReason(.faceToFace).detail == "Liveness or F2F failed")
        #expect(FailureReason(.eDocument).detail == "Could not send request to edocument service")
        #expect(FailureReason(.other).detail == "Other")
    }

    @Test("each of the 14 client reasons maps to its failure type")
    func clientFailures() {
        let expected: [String: FailureReason.Kind] = [
            "lv": .liveness, "closed": .liveness, "lv-unavailable": .liveness, "video": .liveness,
            "f2f": .faceToFace,
            "request": .eDocument, "certificate": .eDocument, "accept-certificate": .eDocument, "reissue": .eDocument,
            "refresh": .other, "password": .other, "otp": .other, "password-otp": .other, "sign-doc": .other,
        ]
        #expect(ClientFailure.allCases.count == 14)
        for failure in ClientFailure.allCases {
            #expect(failure.failureReason.type == expected[failure.rawValue], "\(failure.rawValue)")
        }
    }
}
