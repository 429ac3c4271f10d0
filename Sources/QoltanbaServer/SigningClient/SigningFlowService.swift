import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import QoltanbaPersistence
import Vapor
import X509

/// Runs the signing client's flow for one request: binds a session to a browser, asks the
/// providers, issues the certificate, signs, and persists each step. The browser holds a random
/// token (a cookie); the database keeps only its hash, and the password sealed with it.
///
/// A step reads the stored flow (``Bound``), makes the next one as a value, and saves it once
/// (``save(_:_:wrong:)``, ``fail(_:_:_:)`` or ``sign(_:done:)``); nothing is changed in place.
struct SigningFlowService {
    let stores: Stores
    let providers: ProviderSet
    let pki: PKIService
    /// The stamped copies, made when a session finishes.
    let copies: StampedCopies
    let logger: Logger
    let testPause: TestPause?

    /// A session's flow in the browser that holds it, as stored when the request began.
    struct Bound: Sendable {
        let session: SigningSession
        let flow: SigningClientFlow
        /// The browser's token.
        let token: [UInt8]
    }

    /// What opening the client found.
    enum Opened {
        /// The flow of this browser (new or resumed); `token` is set when it is new, for the cookie.
        case flow(Bound, newToken: String?)
        /// Unknown, ended, expired, or another browser's.
        case refresh
    }

    /// How long a signer's password must be at least.
    static let minimumPasswordLength = 8
    /// The most frames a liveness check takes.
    static let maximumFrames = 10

    // MARK: Binding

    /// Opens the client for `sessionID` in a browser holding `cookie` (nil for none yet).
    func open(sessionID: UUID, cookie: String?, redirectURL: String?, language: ClientLanguage, theme: Int, now: Date = Date())
        async throws -> Opened
    {
        guard let session = try await stores.sessions.find(sessionID, now: now) else { return .refresh }
        if let flow = try await stores.flows.find(sessionID) {
            guard let token = cookie.flatMap(BrowserToken.init(cookie:)), token.hash == flow.browserHash else { return .refresh }
            // A session canceled by expiry (or otherwise from outside) while its flow was running.
            if session.status == .canceled, !flow.flow.step.isFinal { return .refresh }
            return .flow(Bound(session: session, flow: flow, token: token.bytes), newToken: nil)
        }
        // A session without documents has nothing to sign: it stays open for uploads.
        guard try await stores.sessions.documentCount(of: sessionID) > 0 else { return .refresh }
        var lifecycle = session.lifecycle
        guard case .changed(let from, let to) = lifecycle.open() else { return .refresh }
        let token = BrowserToken()
        let returning = try await stores.certificates.hasCertificate(iin: session.iin)
        let flow = SigningClientFlow(
            sessionID: sessionID, browserHash: token.hash, redirectURL: redirectURL, language: language.rawValue,
            theme: theme, flow: .new(returning: returning), createdAt: now, updatedAt: now)
        let opened: SigningSession?
        do {
            opened = try await stores.transaction { stores in
                try await stores.flows.create(flow)
                return try await stores.sessions.record(session, from: from, to: to, at: now)
            }
        } catch {
            // Another browser was first (the flow's key is the session's id).
            logger.info("signing client not opened", metadata: ["session": "\(sessionID.apiString)", "error": "\(String(reflecting: type(of: error)))"])
            return .refresh
        }
        guard let opened else { return .refresh }
        logger.info("signing client opened", metadata: ["session": "\(sessionID.apiString)"])
        return .flow(Bound(session: opened, flow: flow, token: token.bytes), newToken: token.cookie)
    }

    /// The flow of `sessionID` when `cookie` is its browser's token and the session is still active or
    /// its flow has ended; nil otherwise. A step (`settling`) records a due expiry first; a page reads.
    func bound(sessionID: UUID, cookie: String?, settling: Bool = false, now: Date = Date()) async throws -> Bound? {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)),
              let session = try await settling
                  ? stores.sessions.settled(sessionID, now: now) : stores.sessions.find(sessionID, now: now),
              let flow = try await stores.flows.find(sessionID),
              token.hash == flow.browserHash
        else { return nil }
        if session.status == .canceled, !flow.flow.step.isFinal { return nil }
        return Bound(session: session, flow: flow, token: token.bytes)
    }

    /// How long a request may hold a flow before another may take it (a crashed request's lock lapses).
    static let lockLifetime: TimeInterval = 60

    /// Takes the flow for one changing request: it must still be at the version loaded and not held
    /// by another request. A concurrent request (a double submit, or parallel guesses of a code)
    /// finds it taken and does nothing, so attempts are counted one by one. ``release(_:)`` lets it
    /// go and raises the version again, so that a request that loaded the flow while it was held
    /// cannot act on what it read.
    func claim(_ bound: Bound, now: Date = Date()) async throws -> Bool {
        try await stores.flows.claim(bound.session.id, version: bound.flow.version, until: now.addingTimeInterval(Self.lockLifetime), now: now)
    }

    /// Lets a claimed flow go.
    func release(_ bound: Bound) async throws {
        try await stores.flows.release(bound.session.id)
    }

    // MARK: Steps

    /// What a step did, for the controller to show.
    enum StepResult: Equatable {
        /// Show the current step (moved on, or not the step this request was for).
        case current
        /// Show the current step with this notice (a wrong entry).
        case notice(Notice)
        /// The flow has ended, done (nil) or failed.
        case ended(ClientFailure?)
        /// The request was for a step the flow is not at.
        case wrongStep
    }

    /// Why a step is shown again.
    enum Notice: String, Equatable {
        case passwordTooShort = "password-short"
        case passwordMismatch = "password-mismatch"
        case passwordWrong = "password-wrong"
        case codeWrong = "code-wrong"
        case smsFailed = "sms-failed"
        case resendLimit = "resend-limit"
    }

    func acceptDocuments(_ bound: Bound) async throws -> StepResult {
        var next = bound.flow
        let outcome = next.flow.acceptDocuments()
        return try await apply(outcome, next, bound)
    }

    /// Judges the liveness frames (base64 JPEG/PNG). Frames that are not images end with `video`.
    func liveness(_ bound: Bound, frames: [String]) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step == .liveness else { return .wrongStep }
        let images = frames.compactMap { Data(base64Encoded: $0).map { [UInt8]($0) } }
        let valid = !images.isEmpty && images.count == frames.count && images.count <= Self.maximumFrames
            && images.allSatisfy { ImageFrame($0) != nil }
        var verdict: LivenessVerdict?
        if valid {
            verdict = await providers.liveness.judge(frames: images, session: bound.session.id, iin: bound.session.iin)
            if verdict == .live { next.faceFrame = images[images.count / 2] }
        }
        let outcome = next.flow.livenessJudged(verdict)
        return try await apply(outcome, next, bound)
    }

    /// The signer refused the camera or gave up the liveness check.
    func closed(_ bound: Bound) async throws -> StepResult {
        var next = bound.flow
        let outcome = next.flow.closed()
        return try await apply(outcome, next, bound)
    }

    /// Compares the liveness frame with the registry photo.
    func faceMatch(_ bound: Bound) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step == .faceMatch else { return .wrongStep }
        let session = bound.session
        // Without the frame or the registry there is nothing to compare: unavailable. A citizen the
        // registry no longer knows does not match.
        var verdict = FaceMatchVerdict.unavailable
        if let frame = bound.flow.faceFrame {
            do {
                if let citizen = try await providers.registry.citizen(iin: session.iin, phone: session.phone) {
                    verdict = await providers.faceMatch.match(image: frame, reference: citizen.photo, session: session.id, iin: session.iin)
                } else {
                    verdict = .mismatch
                }
            } catch {
                logger.warning("citizen registry unavailable for the face match")
            }
        }
        next.faceFrame = nil
        let outcome = next.flow.faceMatched(verdict)
        return try await apply(outcome, next, bound)
    }

    /// A first-time signer chose a password; it is kept sealed with the browser's token until
    /// the certificate is issued and the documents signed, and an SMS code confirms it.
    func createPassword(_ bound: Bound, password: String, confirmation: String, language: ClientLanguage) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step == .passwordCreate else { return .wrongStep }
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= 256 else { return .notice(.passwordTooShort) }
        guard password == confirmation else { return .notice(.passwordMismatch) }
        next.activation = try sealed(password, bound)
        _ = next.flow.passwordChosen()
        return try await sendCode(bound, next, language: language)
    }

    /// A returning signer's password, checked by opening the key of their current (else newest) certificate.
    func enterPassword(_ bound: Bound, password: String) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step == .password else { return .wrongStep }
        // The certificate the flow will sign with when it can; else the newest, whose password a
        // reissue keeps.
        var checked = try await stores.certificates.usable(iin: bound.session.iin, at: Date())
        if checked == nil { checked = try await stores.certificates.newest(iin: bound.session.iin) }
        guard let certificate = checked else {
            let outcome = next.flow.fail(.certificate)
            return try await apply(outcome, next, bound)
        }
        let correct: Bool
        do {
            _ = try await pki.signingKey(of: certificate, password: password)
            correct = true
        } catch KeyCustodyError.wrongPassword {
            correct = false
        }
        if correct { next.activation = try sealed(password, bound) }
        let outcome = next.flow.passwordEntered(correct: correct)
        return try await apply(outcome, next, bound, wrong: .passwordWrong)
    }

    /// Checks an SMS code at `password-otp` or `sign`. A right code at `sign` signs every document.
    func enterCode(_ bound: Bound, code: String) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step.takesCode else { return .wrongStep }
        let accepted = bound.flow.pendingCode?.accepts(
            code, key: codeKey, context: codeContext(bound, next.flow.step), now: Date()) ?? false
        let outcome = next.flow.codeEntered(accepted: accepted)
        switch outcome {
        case .retry:
            return try await apply(outcome, next, bound, wrong: .codeWrong)
        case .moved where bound.flow.flow.step == .sign:
            return try await sign(bound, done: next.flow)
        default:
            next.pendingCode = nil
            return try await apply(outcome, next, bound)
        }
    }

    /// Sends a new code at a code step, up to the limit.
    func resendCode(_ bound: Bound, language: ClientLanguage) async throws -> StepResult {
        guard bound.flow.flow.step.takesCode else { return .wrongStep }
        return try await sendCode(bound, bound.flow, language: language)
    }

    /// The signer accepted the certificate; the signing code is sent.
    func acceptCertificate(_ bound: Bound, language: ClientLanguage) async throws -> StepResult {
        var next = bound.flow
        guard next.flow.step == .certificate, bound.flow.certificateID != nil else { return .wrongStep }
        _ = next.flow.certificateReady()
        return try await sendCode(bound, next, language: language)
    }

    // MARK: Persistence of outcomes

    /// Stores `next` after `outcome`: a wrong entry shows the step again with `wrong`, a move into
    /// the certificate step prepares the certificate, and a failure cancels the session.
    func apply(_ outcome: SigningFlow.Outcome, _ next: SigningClientFlow, _ bound: Bound, wrong: Notice? = nil)
        async throws -> StepResult
    {
        switch outcome {
        case .refused:
            return .wrongStep
        case .retry:
            try await save(next, bound, wrong: wrong)
            return wrong.map(StepResult.notice) ?? .current
        case .failed(let reason):
            return try await fail(bound, next, reason)
        case .moved(.certificate):
            return try await prepareCertificate(bound, next)
        case .moved:
            try await save(next, bound)
            return next.flow.step.isFinal ? .ended(next.flow.failure) : .current
        }
    }

    /// Stores the flow and, in the same transaction, logs a step it left as passed, or a wrong entry.
    func save(_ next: SigningClientFlow, _ bound: Bound, wrong: Notice? = nil) async throws {
        let left = bound.flow.flow.step
        var next = next
        next.updatedAt = Date()
        let saved = next
        try await stores.transaction { stores in
            try await stores.flows.save(saved)
            if left != saved.flow.step { try await log(.stepPassed, left, bound, in: stores) }
            if let wrong { try await log(.stepWrong, saved.flow.step, detail: wrong.rawValue, bound, in: stores) }
        }
    }

    /// Adds a step's entry to the session's timeline.
    func log(
        _ event: SessionLogEntry.Event, _ step: SigningFlow.Step, detail: String? = nil, _ bound: Bound, in stores: Stores,
        at date: Date = Date()
    ) async throws {
        try await stores.sessions.log(event, session: bound.session.id, step: step.rawValue, detail: detail, at: date)
    }

    /// Ends the flow with `reason` and cancels the session with the mapped failure type. The
    /// secrets the flow held are erased.
    func fail(_ bound: Bound, _ next: SigningClientFlow, _ reason: ClientFailure) async throws -> StepResult {
        // The step that failed: the one `next` stands at, unless it has already moved to `failed`.
        // A step `next` moved on from before it was stored (into the certificate) had passed.
        let stored = bound.flow.flow.step
        let step = next.flow.step == .failed ? stored : next.flow.step
        var failed = next.erased
        _ = failed.flow.fail(reason)
        failed.updatedAt = Date()
        let ended = failed
        try await stores.transaction { stores in
            if step != stored { try await log(.stepPassed, stored, bound, in: stores) }
            try await log(.stepFailed, step, detail: reason.rawValue, bound, in: stores)
            try await stores.flows.save(ended)
            var lifecycle = bound.session.lifecycle
            if case .changed(let from, let to) = lifecycle.cancel(reason.failureReason) {
                try await stores.sessions.record(bound.session, from: from, to: to, at: Date())
            }
        }
        logger.info("signing client failed", metadata: ["session": "\(bound.session.id.apiString)", "reason": "\(reason.rawValue)"])
        return .ended(ended.flow.failure)
    }

    // MARK: Codes

    var codeKey: SymmetricKey { pki.sealer.key(.smsCode) }

    func codeContext(_ bound: Bound, _ step: SigningFlow.Step) -> String {
        "\(bound.session.id.apiString)/\(step.rawValue)"
    }

    /// Sends a new code for the current step of `next` and stores its hash.
    func sendCode(_ bound: Bound, _ next: SigningClientFlow, language: ClientLanguage) async throws -> StepResult {
        var next = next
        guard case .moved = next.flow.codeSent() else {
            try await save(next, bound)
            return .notice(.resendLimit)
        }
        let (code, pending) = PendingCode.issue(key: codeKey, context: codeContext(bound, next.flow.step), now: Date())
        next.pendingCode = pending
        try await save(next, bound)
        let text = language.codeMessage(code, signing: next.flow.step == .sign ? try await documents(of: bound).count : nil)
        do {
            try await providers.sms.send(to: bound.session.phone, text: text, code: code)
        } catch {
            logger.warning("SMS not sent", metadata: ["session": "\(bound.session.id.apiString)"])
            return .notice(.smsFailed)
        }
        return .current
    }
}

extension Request {
    /// The signing client's flow, on this request's database connection.
    var signingFlow: SigningFlowService {
        SigningFlowService(
            stores: stores, providers: application.providers, pki: application.pki,
            copies: StampedCopies(self, publicURL: application.qoltanba.publicURL), logger: logger, testPause: application.qoltanba.testPause)
    }
}
