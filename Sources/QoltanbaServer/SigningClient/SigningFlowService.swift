import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import SQLKit
import Vapor
import X509

/// Runs the signing client's flow for one request: binds a session to a browser, asks the
/// providers, issues the certificate, signs, and persists each step. The browser holds a random
/// token (a cookie); the database keeps only its hash, and the password sealed with it.
struct SigningFlowService {
    let database: any Database
    let providers: ProviderSet
    let pki: PKIService
    let logger: Logger

    /// A session's flow in the browser that holds it.
    struct Bound {
        let session: SigningSessionModel
        let flow: SigningFlowModel
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
        guard let session = try await SessionRepository(database: database).find(sessionID, now: now) else { return .refresh }
        if let flow = try await SigningFlowModel.find(sessionID, on: database) {
            guard let token = cookie.flatMap(BrowserToken.init(cookie:)), token.hash == flow.browserHash else { return .refresh }
            // A session canceled by expiry (or otherwise from outside) while its flow was running.
            if session.lifecycle.state.status == .canceled, !flow.flow.step.isFinal { return .refresh }
            return .flow(Bound(session: session, flow: flow, token: token.bytes), newToken: nil)
        }
        // A session without documents has nothing to sign: it stays open for uploads.
        guard try await DocumentModel.query(on: database).filter(\.$session.$id == sessionID).count() > 0 else { return .refresh }
        var lifecycle = session.lifecycle
        guard case .changed(let from, let to) = lifecycle.open() else { return .refresh }
        let token = BrowserToken()
        let returning = try await SignerCertificateModel.query(on: database).filter(\.$iin == session.iin).count() > 0
        let flow = SigningFlowModel(
            sessionID: sessionID, browserHash: token.hash, redirectURL: redirectURL, language: language.rawValue,
            theme: theme, returning: returning, at: now)
        let opened: Bool
        do {
            opened = try await database.transaction { transaction in
                try await flow.create(on: transaction)
                return try await SessionRepository(database: transaction).record(session, from: from, to: to, at: now) === session
            }
        } catch {
            // Another browser was first (the flow's key is the session's id).
            logger.info("signing client not opened", metadata: ["session": "\(sessionID.apiString)", "error": "\(String(reflecting: type(of: error)))"])
            return .refresh
        }
        guard opened else { return .refresh }
        let stored = session
        logger.info("signing client opened", metadata: ["session": "\(sessionID.apiString)"])
        return .flow(Bound(session: stored, flow: flow, token: token.bytes), newToken: token.cookie)
    }

    /// The flow of `sessionID` when `cookie` is its browser's token and the session is still active or
    /// its flow has ended; nil otherwise.
    func bound(sessionID: UUID, cookie: String?, now: Date = Date()) async throws -> Bound? {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)),
              let session = try await SessionRepository(database: database).find(sessionID, now: now),
              let flow = try await SigningFlowModel.find(sessionID, on: database),
              token.hash == flow.browserHash
        else { return nil }
        if session.lifecycle.state.status == .canceled, !flow.flow.step.isFinal { return nil }
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
        let claimed = try await (database as! any SQLDatabase).update(SigningFlowModel.schema)
            .set("version", to: SQLBinaryExpression(SQLColumn("version"), .add, SQLBind(1)))
            .set("locked_until", to: now.addingTimeInterval(Self.lockLifetime))
            .where("id", .equal, try bound.flow.requireID())
            .where("version", .equal, bound.flow.version)
            .where { $0.where("locked_until", .is, SQLLiteral.null).orWhere("locked_until", .lessThan, now) }
            .returning("id")
            .all()
        guard !claimed.isEmpty else { return false }
        bound.flow.version += 1
        return true
    }

    /// Lets a claimed flow go.
    func release(_ bound: Bound) async throws {
        try await (database as! any SQLDatabase).update(SigningFlowModel.schema)
            .set("version", to: SQLBinaryExpression(SQLColumn("version"), .add, SQLBind(1)))
            .set("locked_until", to: SQLLiteral.null)
            .where("id", .equal, try bound.flow.requireID())
            .run()
    }

    // MARK: Steps

    /// What a step did, for the controller to show.
    enum StepResult: Equatable {
        /// Show the current step (moved on, or not the step this request was for).
        case current
        /// Show the current step with this notice (a wrong entry).
        case notice(Notice)
        /// The flow has ended.
        case ended
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
        var flow = bound.flow.flow
        return try await apply(flow.acceptDocuments(), flow, bound)
    }

    /// Judges the liveness frames (base64 JPEG/PNG). Frames that are not images end with `video`.
    func liveness(_ bound: Bound, frames: [String]) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step == .liveness else { return .wrongStep }
        let images = frames.compactMap { Data(base64Encoded: $0).map { [UInt8]($0) } }
        let valid = !images.isEmpty && images.count == frames.count && images.count <= Self.maximumFrames
            && images.allSatisfy { ImageFrame($0) != nil }
        var verdict: LivenessVerdict?
        if valid {
            verdict = await providers.liveness.judge(frames: images, session: try bound.session.requireID(), iin: try IIN(bound.session.iin))
            if verdict == .live { bound.flow.faceFrame = Data(images[images.count / 2]) }
        }
        return try await apply(flow.livenessJudged(verdict), flow, bound)
    }

    /// The signer refused the camera or gave up the liveness check.
    func closed(_ bound: Bound) async throws -> StepResult {
        var flow = bound.flow.flow
        return try await apply(flow.closed(), flow, bound)
    }

    /// Compares the liveness frame with the registry photo.
    func faceMatch(_ bound: Bound) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step == .faceMatch else { return .wrongStep }
        let session = bound.session
        // Without the frame or the registry there is nothing to compare: unavailable. A citizen the
        // registry no longer knows does not match.
        var verdict = FaceMatchVerdict.unavailable
        let iin = try IIN(session.iin)
        if let frame = bound.flow.faceFrame {
            do {
                if let citizen = try await providers.registry.citizen(iin: iin, phone: try PhoneNumber(session.phone)) {
                    verdict = await providers.faceMatch.match(
                        image: Array(frame), reference: citizen.photo, session: try session.requireID(), iin: iin)
                } else {
                    verdict = .mismatch
                }
            } catch {
                logger.warning("citizen registry unavailable for the face match")
            }
        }
        bound.flow.faceFrame = nil
        return try await apply(flow.faceMatched(verdict), flow, bound)
    }

    /// A first-time signer chose a password; it is kept sealed with the browser's token until
    /// the certificate is issued and the documents signed, and an SMS code confirms it.
    func createPassword(_ bound: Bound, password: String, confirmation: String, language: ClientLanguage) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step == .passwordCreate else { return .wrongStep }
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= 256 else { return .notice(.passwordTooShort) }
        guard password == confirmation else { return .notice(.passwordMismatch) }
        try keep(password, bound)
        _ = flow.passwordChosen()
        return try await sendCode(bound, flow, language: language)
    }

    /// A returning signer's password, checked by opening the key of their newest certificate.
    func enterPassword(_ bound: Bound, password: String) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step == .password else { return .wrongStep }
        guard let newest = try await SignerCertificateModel.query(on: database).filter(\.$iin == bound.session.iin)
            .sort(\.$createdAt, .descending).first()
        else {
            return try await apply(flow.fail(.certificate), flow, bound)
        }
        let correct: Bool
        do {
            _ = try pki.signingKey(of: newest, password: password)
            correct = true
        } catch KeyCustodyError.wrongPassword {
            correct = false
        }
        if correct { try keep(password, bound) }
        let outcome = flow.passwordEntered(correct: correct)
        return try await apply(outcome, flow, bound, wrong: .passwordWrong)
    }

    /// Checks an SMS code at `password-otp` or `sign`. A right code at `sign` signs every document.
    func enterCode(_ bound: Bound, code: String) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step.takesCode else { return .wrongStep }
        let accepted = bound.flow.pendingCode?.accepts(
            code, key: codeKey, context: codeContext(bound, flow.step), now: Date()) ?? false
        let before = flow
        let outcome = flow.codeEntered(accepted: accepted)
        switch outcome {
        case .retry:
            return try await apply(outcome, flow, bound, wrong: .codeWrong)
        case .moved where before.step == .sign:
            return try await sign(bound, done: flow, signing: before)
        default:
            bound.flow.pendingCode = nil
            return try await apply(outcome, flow, bound)
        }
    }

    /// Sends a new code at a code step, up to the limit.
    func resendCode(_ bound: Bound, language: ClientLanguage) async throws -> StepResult {
        let flow = bound.flow.flow
        guard flow.step.takesCode else { return .wrongStep }
        return try await sendCode(bound, flow, language: language)
    }

    /// The signer accepted the certificate; the signing code is sent.
    func acceptCertificate(_ bound: Bound, language: ClientLanguage) async throws -> StepResult {
        var flow = bound.flow.flow
        guard flow.step == .certificate, bound.flow.certificateID != nil else { return .wrongStep }
        _ = flow.certificateReady()
        return try await sendCode(bound, flow, language: language)
    }

    // MARK: Persistence of outcomes

    /// Stores the flow after `outcome`: a wrong entry shows the step again with `wrong`, a move into
    /// the certificate step prepares the certificate, and a failure cancels the session.
    private func apply(_ outcome: SigningFlow.Outcome, _ flow: SigningFlow, _ bound: Bound, wrong: Notice? = nil)
        async throws -> StepResult
    {
        switch outcome {
        case .refused:
            return .wrongStep
        case .retry:
            try await save(flow, bound, wrong: wrong)
            return wrong.map(StepResult.notice) ?? .current
        case .failed(let reason):
            return try await fail(bound, flow, reason)
        case .moved(.certificate):
            return try await prepareCertificate(bound, flow)
        case .moved:
            try await save(flow, bound)
            return flow.step.isFinal ? .ended : .current
        }
    }

    /// Stores the flow and, in the same transaction, logs a step it left as passed, or a wrong entry.
    private func save(_ flow: SigningFlow, _ bound: Bound, wrong: Notice? = nil) async throws {
        let left = bound.flow.flow.step
        bound.flow.flow = flow
        bound.flow.updatedAt = Date()
        try await database.transaction { transaction in
            try await bound.flow.save(on: transaction)
            if left != flow.step { try await log(.stepPassed, left, bound, on: transaction) }
            if let wrong { try await log(.stepWrong, flow.step, detail: wrong.rawValue, bound, on: transaction) }
        }
    }

    /// Adds a step's entry to the session's timeline.
    private func log(
        _ event: SessionLogModel.Event, _ step: SigningFlow.Step, detail: String? = nil, _ bound: Bound, on database: any Database,
        at date: Date = Date()
    ) async throws {
        try await SessionLogModel(sessionID: try bound.session.requireID(), at: date, event: event, step: step.rawValue, detail: detail)
            .create(on: database)
    }

    /// Ends the flow with `reason` and cancels the session with the mapped failure type. The
    /// secrets the flow held are erased.
    private func fail(_ bound: Bound, _ flow: SigningFlow, _ reason: ClientFailure) async throws -> StepResult {
        // The step that failed: the one `flow` stands at, unless it has already moved to `failed`.
        // A step `flow` moved on from before it was stored (into the certificate) had passed.
        let stored = bound.flow.flow.step
        let step = flow.step == .failed ? stored : flow.step
        var failed = flow
        _ = failed.fail(reason)
        let flow = failed
        erase(bound)
        try await database.transaction { transaction in
            if step != stored { try await log(.stepPassed, stored, bound, on: transaction) }
            try await log(.stepFailed, step, detail: reason.rawValue, bound, on: transaction)
            bound.flow.flow = flow
            bound.flow.updatedAt = Date()
            try await bound.flow.save(on: transaction)
            var lifecycle = bound.session.lifecycle
            if case .changed(let from, let to) = lifecycle.cancel(reason.failureReason) {
                try await SessionRepository(database: transaction).record(bound.session, from: from, to: to, at: Date())
            }
        }
        logger.info("signing client failed", metadata: ["session": "\(bound.session.id?.apiString ?? "")", "reason": "\(reason.rawValue)"])
        return .ended
    }

    private func erase(_ bound: Bound) {
        bound.flow.activation = nil
        bound.flow.faceFrame = nil
        bound.flow.pendingCode = nil
    }

    // MARK: Codes

    private var codeKey: SymmetricKey { pki.masterKey.derivedKey(purpose: "sms code") }

    private func codeContext(_ bound: Bound, _ step: SigningFlow.Step) -> String {
        "\(bound.session.id?.apiString ?? "")/\(step.rawValue)"
    }

    private func activationContext(_ bound: Bound) -> String {
        "activation/\(bound.session.id?.apiString ?? "")"
    }

    /// Sends a new code for the current step and stores its hash.
    private func sendCode(_ bound: Bound, _ flow: SigningFlow, language: ClientLanguage) async throws -> StepResult {
        var flow = flow
        guard case .moved = flow.codeSent() else {
            try await save(flow, bound)
            return .notice(.resendLimit)
        }
        let (code, pending) = PendingCode.issue(key: codeKey, context: codeContext(bound, flow.step), now: Date())
        bound.flow.pendingCode = pending
        try await save(flow, bound)
        let text = flow.step == .sign
            ? language.text(.smsSignText, code, try await documents(of: bound).count)
            : language.text(.smsPasswordText, code)
        do {
            try await providers.sms.send(to: try PhoneNumber(bound.session.phone), text: text, code: code)
        } catch {
            logger.warning("SMS not sent", metadata: ["session": "\(bound.session.id?.apiString ?? "")"])
            return .notice(.smsFailed)
        }
        return .current
    }

    // MARK: Certificate and signing

    /// The signer's usable certificate: the newest valid one is reused; otherwise, with the
    /// E-Document service's approval, a new one is issued (a reissue when they had one).
    private func prepareCertificate(_ bound: Bound, _ flow: SigningFlow) async throws -> StepResult {
        let session = bound.session
        let now = Date()
        let certificates = try await pki.certificates(iin: session.iin, on: database)
        if let valid = certificates.first(where: { $0.revokedAt == nil && $0.notBefore <= now && now < $0.notAfter }) {
            bound.flow.certificateID = valid.id
            bound.flow.certificateEvent = "reused"
            try await save(flow, bound)
            return .current
        }
        let reissue = !certificates.isEmpty
        let iin = try IIN(session.iin)
        switch await providers.eDocument.approve(iin: iin, reissue: reissue) {
        case .unavailable: return try await fail(bound, flow, .request)
        case .refused: return try await fail(bound, flow, reissue ? .reissue : .acceptCertificate)
        case .approved: break
        }
        guard let password = openPassword(bound),
              let citizen = try? await providers.registry.citizen(iin: iin, phone: try PhoneNumber(session.phone))
        else {
            return try await fail(bound, flow, .certificate)
        }
        do {
            let (model, _) = try await pki.issue(for: SignerIdentity(iin: iin, name: citizen.name), password: password, on: database)
            bound.flow.certificateID = model.id
            bound.flow.certificateEvent = reissue ? "reissued" : "issued"
        } catch {
            logger.error("certificate issuance failed", metadata: ["error": "\(error)"])
            return try await fail(bound, flow, reissue ? .reissue : .acceptCertificate)
        }
        try await save(flow, bound)
        return .current
    }

    /// Seals the password under the master key and the browser's token until the session ends.
    private func keep(_ password: String, _ bound: Bound) throws {
        bound.flow.activation = Data(try pki.masterKey.seal(Array(password.utf8), context: activationContext(bound), secret: bound.token))
    }

    private func openPassword(_ bound: Bound) -> String? {
        guard let box = bound.flow.activation,
              let bytes = try? pki.masterKey.open(Array(box), context: activationContext(bound), secret: bound.token)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The session's documents, oldest first.
    func documents(of bound: Bound) async throws -> [DocumentModel] {
        try await DocumentModel.query(on: database).filter(\.$session.$id == bound.session.requireID())
            .sort(\.$createdAt).sort(\.$id).all()
    }

    /// The certificate the flow signs with.
    func certificate(of bound: Bound) async throws -> SignerCertificateModel? {
        guard let id = bound.flow.certificateID else { return nil }
        return try await SignerCertificateModel.find(id, on: database)
    }

    /// Signs every document with the signer's key (a CAdES-BES CMS with the content attached, or a
    /// co-signature of the document's earlier CMS) and finishes the session, all in one
    /// transaction, leaving the flow `done`. Any failure fails the flow as it was at `signing`:
    /// with `sign-doc`, or `refresh` when the session ended meanwhile.
    private func sign(_ bound: Bound, done flow: SigningFlow, signing: SigningFlow) async throws -> StepResult {
        let signatures: [(DocumentModel, String, String)]
        do {
            guard let password = openPassword(bound), let model = try await certificate(of: bound) else {
                throw QoltanbaError.certificateNotFound
            }
            let signer = try CMSSigner(
                key: try pki.signingKey(of: model, password: password),
                certificate: try Certificate(derEncoded: Array(model.certificate)), chain: [pki.authority.issuing])
            let verifier = try await pki.verifier(on: database)
            var results: [(DocumentModel, String, String)] = []
            for document in try await documents(of: bound) {
                guard let file = try await DocumentFileModel.find(document.id, on: database) else {
                    throw QoltanbaError(.sessionStateConflict, "Document file(s) not found on server")
                }
                let content = Array(file.content)
                let cms = try document.priorSign.flatMap { Data(base64Encoded: $0) }.map { try signer.cosign(Array($0)) }
                    ?? signer.sign(content)
                let signers = try await verifier.verify(cms).signers
                results.append((document, Data(cms).base64EncodedString(), String(decoding: try JSONEncoder().encode(signers), as: UTF8.self)))
            }
            signatures = results
        } catch {
            logger.error("signing failed", metadata: ["session": "\(bound.session.id?.apiString ?? "")", "error": "\(error)"])
            return try await fail(bound, signing, .signDocument)
        }
        let now = Date()
        let finished: Bool = try await database.transaction { transaction in
            var lifecycle = bound.session.lifecycle
            guard case .changed(let from, let to) = lifecycle.finish(),
                  try await SessionRepository(database: transaction).record(bound.session, from: from, to: to, at: now) === bound.session
            else { return false }
            for (document, sign, signers) in signatures {
                document.sign = sign
                document.signers = signers
                document.updatedAt = now
                try await document.save(on: transaction)
            }
            erase(bound)
            try await log(.stepPassed, .sign, bound, on: transaction, at: now)
            bound.flow.flow = flow
            bound.flow.updatedAt = now
            try await bound.flow.save(on: transaction)
            return true
        }
        // The session expired (or was canceled) while the documents were being signed.
        guard finished else { return try await fail(bound, signing, .refresh) }
        logger.info("session signed", metadata: ["session": "\(bound.session.id?.apiString ?? "")", "documents": "\(signatures.count)"])
        return .ended
    }
}
