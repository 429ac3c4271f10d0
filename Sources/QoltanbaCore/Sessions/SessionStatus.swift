/// The four statuses of a signing session, spelled as the API reference spells them.
public enum SessionStatus: String, CaseIterable, Codable, Hashable, Sendable {
    /// Created by the integrator; documents may be uploaded.
    case started = "STARTED"
    /// The signer has opened the signing client.
    case process = "PROCESS"
    /// Every document is signed.
    case finished = "FINISHED"
    /// Failed, canceled or expired; ``FailureReason`` says why.
    case canceled = "CANCELED"

    /// Whether the session can still change.
    public var isFinal: Bool { self == .finished || self == .canceled }
}
