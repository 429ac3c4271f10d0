import Foundation

// The ports of the signing client's external services. Each has a sandbox implementation driven by
// the test citizens and an HTTP implementation for production (see the README's "Providers").
// Apart from the registry, a port never throws: a service that cannot be reached, times out or
// answers garbage is `.unavailable`, which the flow turns into the matching failure reason.

/// What the liveness service says of the frames.
public enum LivenessVerdict: Hashable, Sendable {
    /// A live person is in front of the camera.
    case live
    /// Not a live person (`lv`).
    case notLive
    /// The service could not judge (`lv-unavailable`).
    case unavailable
}

/// What the face-match service says of the face and the registry photo.
public enum FaceMatchVerdict: Hashable, Sendable {
    /// The same person.
    case match
    /// Another person (`f2f`).
    case mismatch
    /// The service could not judge (`lv-unavailable`).
    case unavailable
}

/// What the E-Document (certificate issuing) service says of a request for a certificate.
public enum EDocumentVerdict: Hashable, Sendable {
    /// The certificate may be issued.
    case approved
    /// The service refused it (`accept-certificate`, or `reissue` for a reissue).
    case refused
    /// The service could not be reached (`request`).
    case unavailable
}

/// Judges whether camera frames show a live person.
public protocol LivenessProvider: Sendable {
    /// Judges `frames` (JPEG or PNG images, already checked to be images) of `iin`'s session.
    func judge(frames: [[UInt8]], session: UUID, iin: IIN) async -> LivenessVerdict
}

/// Compares a face with the registry photo.
public protocol FaceMatchProvider: Sendable {
    /// Compares `image` with `reference` (the registry photo, when the registry has one).
    func match(image: [UInt8], reference: [UInt8]?, session: UUID, iin: IIN) async -> FaceMatchVerdict
}

/// Sends SMS messages.
public protocol SMSGateway: Sendable {
    /// Sends `text` to `phone`; `code` is the one-time code inside it, for the sandbox's inbox.
    /// - Throws: when the message could not be handed over.
    func send(to phone: PhoneNumber, text: String, code: String) async throws
}

/// The E-Document service that approves certificate issuance.
public protocol EDocumentService: Sendable {
    /// Asks whether a certificate may be issued (or reissued) to `iin`.
    func approve(iin: IIN, reissue: Bool) async -> EDocumentVerdict
}

/// The sandbox's liveness, face match and E-Document services: each does what the test citizen's
/// outcome says.
public struct SandboxProviders: LivenessProvider, FaceMatchProvider, EDocumentService {
    /// The outcome of a test citizen; nil when the IIN is not one.
    public let outcome: @Sendable (IIN) async throws -> SandboxOutcome?

    /// Sandbox providers reading outcomes with `outcome`.
    public init(outcome: @escaping @Sendable (IIN) async throws -> SandboxOutcome?) {
        self.outcome = outcome
    }

    private func outcome(of iin: IIN) async -> SandboxOutcome? {
        (try? await outcome(iin)) ?? nil
    }

    public func judge(frames: [[UInt8]], session: UUID, iin: IIN) async -> LivenessVerdict {
        switch await outcome(of: iin) {
        case .livenessFails: .notLive
        case .livenessUnavailable, nil: .unavailable
        default: .live
        }
    }

    public func match(image: [UInt8], reference: [UInt8]?, session: UUID, iin: IIN) async -> FaceMatchVerdict {
        switch await outcome(of: iin) {
        case .faceMatchFails: .mismatch
        case nil: .unavailable
        default: .match
        }
    }

    public func approve(iin: IIN, reissue: Bool) async -> EDocumentVerdict {
        switch await outcome(of: iin) {
        case .certificateServiceUnavailable, nil: .unavailable
        default: .approved
        }
    }
}

/// The E-Document service of a Qoltanba that issues with its own CA and asks nobody.
public struct BuiltInEDocumentService: EDocumentService {
    /// The built-in service.
    public init() {}

    public func approve(iin: IIN, reissue: Bool) async -> EDocumentVerdict { .approved }
}
