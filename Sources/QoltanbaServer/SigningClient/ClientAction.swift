import QoltanbaCore

/// What a signing client's request asks for: the last part of `POST /sign/{session}/{action}`,
/// parsed once when the routes are made; each is switched on without a default.
enum ClientAction: String, CaseIterable, Sendable {
    case liveness
    case documents
    case closed
    case faceMatch = "face-match"
    case password
    case code
    case resend
    case certificate

    /// The most a request of this action may carry: camera frames, or a small form.
    var bodyLimit: String {
        switch self {
        case .liveness: "24mb"
        case .documents, .closed, .faceMatch, .password, .code, .resend, .certificate: "16kb"
        }
    }

    /// The reference's text for a request to a step the flow is not at.
    var notFound: QoltanbaError {
        switch self {
        case .liveness, .closed: .livenessSessionNotFound
        case .faceMatch: .faceMatchSessionNotFound
        case .certificate: .certificateNotFound
        case .documents, .password, .code, .resend: .sessionNotFound
        }
    }
}
