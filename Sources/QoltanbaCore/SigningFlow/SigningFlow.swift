/// Where a signer stands in the signing client, as a value: the steps, the attempt limits and how
/// each failure ends. Nothing here performs I/O; the server asks the providers, persists the flow
/// and turns its outcomes into pages and redirects.
///
/// documents → liveness → face-match → (password-create → password-otp | password) → certificate
/// → sign → done, or failed with one of the API reference's client reasons.
public struct SigningFlow: Hashable, Sendable {
    /// A screen of the client, named as in the automation contract (`data-step`).
    public enum Step: String, CaseIterable, Codable, Hashable, Sendable {
        case documents
        case liveness
        case faceMatch = "face-match"
        case passwordCreate = "password-create"
        case passwordOTP = "password-otp"
        case password
        case certificate
        case sign
        case done
        case failed

        /// Whether the flow has ended.
        public var isFinal: Bool { self == .done || self == .failed }

        /// The steps that take an SMS code.
        public var takesCode: Bool { self == .passwordOTP || self == .sign }
    }

    /// What an event did.
    public enum Outcome: Hashable, Sendable {
        /// The flow moved to this step.
        case moved(Step)
        /// A wrong entry; this many tries are left.
        case retry(remaining: Int)
        /// The flow failed for this reason.
        case failed(ClientFailure)
        /// The event does not belong to the current step.
        case refused
    }

    /// How many wrong codes, or wrong passwords, end the flow.
    public static let maximumAttempts = 3
    /// How many codes one step may send.
    public static let maximumCodesPerStep = 3

    /// The current step.
    public private(set) var step: Step
    /// Whether the signer has a certificate already, so enters a password instead of creating one.
    public private(set) var returning: Bool
    /// Wrong passwords so far.
    public private(set) var passwordAttempts: Int
    /// Wrong codes so far at the current code step.
    public private(set) var codeAttempts: Int
    /// Codes sent at the current code step.
    public private(set) var codesSent: Int
    /// Why the flow failed, once it has.
    public private(set) var failure: ClientFailure?

    /// A flow as stored.
    public init(
        step: Step, returning: Bool, passwordAttempts: Int = 0, codeAttempts: Int = 0, codesSent: Int = 0,
        failure: ClientFailure? = nil
    ) {
        self.step = step
        self.returning = returning
        self.passwordAttempts = passwordAttempts
        self.codeAttempts = codeAttempts
        self.codesSent = codesSent
        self.failure = failure
    }

    /// The flow of a signer who has just opened the client.
    public static func new(returning: Bool) -> SigningFlow {
        SigningFlow(step: .documents, returning: returning)
    }

    /// The signer has seen the documents.
    public mutating func acceptDocuments() -> Outcome {
        guard step == .documents else { return .refused }
        return move(to: .liveness)
    }

    /// The liveness service judged the frames; nil when the frames were not images (`video`).
    public mutating func livenessJudged(_ verdict: LivenessVerdict?) -> Outcome {
        guard step == .liveness else { return .refused }
        switch verdict {
        case .live: return move(to: .faceMatch)
        case .notLive: return fail(.liveness)
        case .unavailable: return fail(.livenessUnavailable)
        case nil: return fail(.video)
        }
    }

    /// The signer refused the camera or left the liveness check (`closed`).
    public mutating func closed() -> Outcome {
        guard step == .liveness || step == .faceMatch else { return .refused }
        return fail(.closed)
    }

    /// The face-match service compared the face with the registry photo.
    public mutating func faceMatched(_ verdict: FaceMatchVerdict) -> Outcome {
        guard step == .faceMatch else { return .refused }
        switch verdict {
        case .match: return move(to: returning ? .password : .passwordCreate)
        case .mismatch: return fail(.faceToFace)
        case .unavailable: return fail(.livenessUnavailable)
        }
    }

    /// A first-time signer chose an acceptable password; a code confirms it next.
    public mutating func passwordChosen() -> Outcome {
        guard step == .passwordCreate else { return .refused }
        return move(to: .passwordOTP)
    }

    /// A code was sent at the current step. Refused when the step takes no code or has sent its
    /// last one.
    public mutating func codeSent() -> Outcome {
        guard step.takesCode, codesSent < Self.maximumCodesPerStep else { return .refused }
        codesSent += 1
        return .moved(step)
    }

    /// The signer entered a code; `accepted` says whether it is the pending one, still valid.
    /// A right code at `password-otp` moves to the certificate; at `sign` to done (the caller signs
    /// first). The third wrong one fails with `password-otp` or `otp`.
    public mutating func codeEntered(accepted: Bool) -> Outcome {
        guard step.takesCode else { return .refused }
        if accepted {
            return move(to: step == .passwordOTP ? .certificate : .done)
        }
        codeAttempts += 1
        guard codeAttempts < Self.maximumAttempts else { return fail(step == .passwordOTP ? .passwordOTP : .otp) }
        return .retry(remaining: Self.maximumAttempts - codeAttempts)
    }

    /// A returning signer entered their password; `correct` says whether it opened their key.
    public mutating func passwordEntered(correct: Bool) -> Outcome {
        guard step == .password else { return .refused }
        if correct { return move(to: .certificate) }
        passwordAttempts += 1
        guard passwordAttempts < Self.maximumAttempts else { return fail(.password) }
        return .retry(remaining: Self.maximumAttempts - passwordAttempts)
    }

    /// Another flow of the same first-time signer got their certificate first (two at once): this
    /// one goes on as a returning signer's, entering that certificate's password.
    public mutating func certificateTakenMeanwhile() -> Outcome {
        guard step == .certificate, !returning else { return .refused }
        returning = true
        return move(to: .password)
    }

    /// The signer's certificate is ready; the signing code comes next.
    public mutating func certificateReady() -> Outcome {
        guard step == .certificate else { return .refused }
        return move(to: .sign)
    }

    /// The flow fails for `reason` at whatever step it is, unless it has ended.
    public mutating func fail(_ reason: ClientFailure) -> Outcome {
        guard !step.isFinal else { return .refused }
        step = .failed
        failure = reason
        return .failed(reason)
    }

    private mutating func move(to next: Step) -> Outcome {
        step = next
        codeAttempts = 0
        codesSent = 0
        return .moved(next)
    }
}
