import Crypto
import Foundation
import QoltanbaCore
import Testing

@Suite("Signing flow")
struct SigningFlowTests {
    /// A flow at `step`, reached by the events a signer would go through.
    static func flow(at step: SigningFlow.Step, returning: Bool = false) -> SigningFlow {
        var flow = SigningFlow.new(returning: returning)
        let path: [(inout SigningFlow) -> SigningFlow.Outcome] = [
            { $0.acceptDocuments() }, { $0.livenessJudged(.live) }, { $0.faceMatched(.match) },
        ]
        for event in path where flow.step != step { _ = event(&flow) }
        if flow.step == step { return flow }
        if returning {
            _ = flow.passwordEntered(correct: true)
        } else {
            _ = flow.passwordChosen()
            if step == .passwordOTP { return flow }
            _ = flow.codeEntered(accepted: true)
        }
        if step == .certificate { return flow }
        _ = flow.certificateReady()
        return flow
    }

    @Test("a first-time signer: documents → liveness → face match → password + code → certificate → sign → done")
    func firstTime() {
        var flow = SigningFlow.new(returning: false)
        #expect(flow.step == .documents)
        #expect(flow.acceptDocuments() == .moved(.liveness))
        #expect(flow.livenessJudged(.live) == .moved(.faceMatch))
        #expect(flow.faceMatched(.match) == .moved(.passwordCreate))
        #expect(flow.passwordChosen() == .moved(.passwordOTP))
        #expect(flow.codeSent() == .moved(.passwordOTP))
        #expect(flow.codeEntered(accepted: true) == .moved(.certificate))
        #expect(flow.certificateReady() == .moved(.sign))
        #expect(flow.codeEntered(accepted: true) == .moved(.done))
        #expect(flow.step.isFinal && flow.failure == nil)
    }

    @Test("a returning signer enters the password instead of creating one")
    func returning() {
        var flow = Self.flow(at: .faceMatch, returning: true)
        #expect(flow.faceMatched(.match) == .moved(.password))
        #expect(flow.passwordEntered(correct: true) == .moved(.certificate))
    }

    @Test("a first-time signer whose certificate another flow got first goes on as a returning signer; nothing else does")
    func certificateTakenMeanwhile() {
        var flow = Self.flow(at: .certificate)
        #expect(flow.certificateTakenMeanwhile() == .moved(.password))
        #expect(flow.returning && flow.step == .password)
        #expect(flow.passwordEntered(correct: true) == .moved(.certificate))
        #expect(flow.certificateTakenMeanwhile() == .refused, "a returning signer's flow moved back")
        var returning = Self.flow(at: .certificate, returning: true)
        #expect(returning.certificateTakenMeanwhile() == .refused)
        var early = Self.flow(at: .passwordOTP)
        #expect(early.certificateTakenMeanwhile() == .refused && !early.returning)
    }

    @Test("provider verdicts end the flow with the API reference's reasons")
    func providerFailures() {
        var liveness = Self.flow(at: .liveness)
        #expect(liveness.livenessJudged(.notLive) == .failed(.liveness))
        liveness = Self.flow(at: .liveness)
        #expect(liveness.livenessJudged(.unavailable) == .failed(.livenessUnavailable))
        liveness = Self.flow(at: .liveness)
        #expect(liveness.livenessJudged(nil) == .failed(.video))
        liveness = Self.flow(at: .liveness)
        #expect(liveness.closed() == .failed(.closed))
        #expect(liveness.step == .failed && liveness.failure == .closed)

        var face = Self.flow(at: .faceMatch)
        #expect(face.faceMatched(.mismatch) == .failed(.faceToFace))
        face = Self.flow(at: .faceMatch)
        #expect(face.faceMatched(.unavailable) == .failed(.livenessUnavailable))
    }

    @Test("three wrong codes end with password-otp while creating a password, and otp while signing")
    func wrongCodes() {
        for (step, reason) in [(SigningFlow.Step.passwordOTP, ClientFailure.passwordOTP), (.sign, .otp)] {
            var flow = Self.flow(at: step)
            #expect(flow.step == step)
            #expect(flow.codeEntered(accepted: false) == .retry(remaining: 2))
            #expect(flow.codeEntered(accepted: false) == .retry(remaining: 1))
            #expect(flow.codeEntered(accepted: false) == .failed(reason))
            #expect(flow.failure == reason)
        }
    }

    @Test("two wrong codes then the right one go on, and the count starts again at the next code step")
    func recoverFromWrongCodes() {
        var flow = Self.flow(at: .passwordOTP)
        _ = flow.codeEntered(accepted: false)
        _ = flow.codeEntered(accepted: false)
        #expect(flow.codeEntered(accepted: true) == .moved(.certificate))
        _ = flow.certificateReady()
        #expect(flow.codeAttempts == 0)
        #expect(flow.codeEntered(accepted: false) == .retry(remaining: 2))
    }

    @Test("three wrong passwords end with password")
    func wrongPasswords() {
        var flow = Self.flow(at: .password, returning: true)
        #expect(flow.passwordEntered(correct: false) == .retry(remaining: 2))
        #expect(flow.passwordEntered(correct: false) == .retry(remaining: 1))
        #expect(flow.passwordEntered(correct: false) == .failed(.password))
    }

    @Test("a step's events are refused at other steps, and nothing moves an ended flow")
    func refusals() {
        var flow = SigningFlow.new(returning: false)
        #expect(flow.livenessJudged(.live) == .refused)
        #expect(flow.faceMatched(.match) == .refused)
        #expect(flow.codeEntered(accepted: true) == .refused)
        #expect(flow.passwordEntered(correct: true) == .refused)
        #expect(flow.certificateReady() == .refused)
        #expect(flow.closed() == .refused)
        #expect(flow.step == .documents)

        _ = flow.fail(.refresh)
        #expect(flow.acceptDocuments() == .refused)
        #expect(flow.fail(.otp) == .refused)
        #expect(flow.failure == .refresh)
    }

    @Test("a code step sends at most three codes")
    func codeLimit() {
        var flow = Self.flow(at: .sign)
        for _ in 0..<SigningFlow.maximumCodesPerStep { #expect(flow.codeSent() == .moved(.sign)) }
        #expect(flow.codeSent() == .refused)
        var documents = SigningFlow.new(returning: false)
        #expect(documents.codeSent() == .refused)
    }
}

@Suite("SMS codes")
struct OneTimeCodeTests {
    let key = SymmetricKey(size: .bits256)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("six digits; the hash is not the code; only the right code in its context and time is accepted")
    func accepts() {
        let (code, pending) = PendingCode.issue(key: key, context: "session/sign", now: now)
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        #expect(!pending.hash.contains(code))
        #expect(pending.accepts(code, key: key, context: "session/sign", now: now))
        #expect(pending.accepts(" \(code) ", key: key, context: "session/sign", now: now.addingTimeInterval(299)))
        let wrong = String(format: "%06d", (Int(code)! + 1) % 1_000_000)
        #expect(!pending.accepts(wrong, key: key, context: "session/sign", now: now))
        #expect(!pending.accepts(code, key: key, context: "session/password-otp", now: now))
        #expect(!pending.accepts(code, key: SymmetricKey(size: .bits256), context: "session/sign", now: now))
        #expect(!pending.accepts(code, key: key, context: "session/sign", now: now.addingTimeInterval(PendingCode.lifetime)))
    }
}
