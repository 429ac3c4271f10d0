/// What the sandbox providers do for a test citizen in the signing client.
public enum SandboxOutcome: String, CaseIterable, Codable, Hashable, Sendable {
    /// Every step passes.
    case success
    /// Liveness fails (`lv`).
    case livenessFails = "lv"
    /// The face does not match the registry photo (`f2f`).
    case faceMatchFails = "f2f"
    /// The liveness service is unavailable (`lv-unavailable`).
    case livenessUnavailable = "lv-unavailable"
    /// The certificate service is unavailable (`request`).
    case certificateServiceUnavailable = "request"

    /// The client failure this outcome ends with, nil for success.
    public var clientFailure: ClientFailure? {
        switch self {
        case .success: nil
        case .livenessFails: .liveness
        case .faceMatchFails: .faceToFace
        case .livenessUnavailable: .livenessUnavailable
        case .certificateServiceUnavailable: .request
        }
    }
}
