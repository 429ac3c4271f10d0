/// An error of Qoltanba's domain: a stable ``Code`` and a `detail` text meant for the caller.
///
/// The texts of the API reference's error table are reproduced exactly by the static members; only the
/// server layer decides which HTTP status a code becomes.
public struct QoltanbaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is; stable across releases, so callers can branch on it.
    public enum Code: String, Hashable, Sendable {
        /// A request field is missing or malformed.
        case invalidField
        /// An uploaded file is larger than the configured limit.
        case fileTooLarge
        /// The session holds as many documents or bytes as it may.
        case sessionFull
        /// Checking or rendering a document took longer than its time budget.
        case documentTooComplex
        /// The request body is not of a media type the endpoint reads.
        case unsupportedMediaType
        /// The `x-api-key` header is missing, unknown or revoked.
        case apiKeyNotFound
        /// The organization the key belonged to no longer exists.
        case organizationNotFound
        /// No session has this id.
        case sessionNotFound
        /// The session belongs to another organization.
        case sessionAccessDenied
        /// The session is in a state that does not allow the action.
        case sessionStateConflict
        /// The IIN and phone are not a pair of the citizen registry.
        case subjectNotFound
        /// The signing client's step that the request belongs to is not the current one.
        case stepNotFound
        /// An external service (e.g. the citizen registry) could not be asked.
        case serviceUnavailable
        /// The server has as much of this kind of work (documents, password keys) in progress as it
        /// takes: the caller retries in a moment.
        case busy
        /// An `Idempotency-Key` was used before with a different request.
        case idempotencyKeyReused
        /// The request that first used this `Idempotency-Key` is still running.
        case idempotencyKeyInUse
        /// An operator command referred to something that does not exist or cannot be done.
        case operatorError
    }

    /// What kind of problem this is.
    public var code: Code
    /// The text shown to the caller, e.g. `Session not found`.
    public var detail: String

    /// Creates an error with a code and a caller-facing text.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The detail text.
    public var description: String { detail }
}

extension QoltanbaError {
    /// A field of a request is missing or malformed; the detail names the field first.
    public static func invalidField(_ field: String, _ problem: String) -> QoltanbaError {
        QoltanbaError(.invalidField, "\(field): \(problem)")
    }

    /// A field of a request is missing.
    public static func missingField(_ field: String) -> QoltanbaError {
        invalidField(field, "this field is required")
    }

    /// The API reference's `organization api-key not found`.
    public static let apiKeyNotFound = QoltanbaError(.apiKeyNotFound, "organization api-key not found")
    /// The API reference's `Organization not found`.
    public static let organizationNotFound = QoltanbaError(.organizationNotFound, "Organization not found")
    /// The API reference's `Session not found`.
    public static let sessionNotFound = QoltanbaError(.sessionNotFound, "Session not found")
    /// The API reference's `You don't have access to these session actions`.
    public static let sessionAccessDenied = QoltanbaError(
        .sessionAccessDenied, "You don't have access to these session actions")
    /// The API reference's `Subject not found in MCDB`.
    public static let subjectNotFound = QoltanbaError(.subjectNotFound, "Subject not found in MCDB")
    /// The API reference's `Liveness session not found`.
    public static let livenessSessionNotFound = QoltanbaError(.stepNotFound, "Liveness session not found")
    /// The API reference's `F2F session not found`.
    public static let faceMatchSessionNotFound = QoltanbaError(.stepNotFound, "F2F session not found")
    /// The API reference's `Certificate not found`.
    public static let certificateNotFound = QoltanbaError(.stepNotFound, "Certificate not found")
    /// The citizen registry could not be asked.
    public static let registryUnavailable = QoltanbaError(.serviceUnavailable, "Citizen registry (MCDB) is not available")
}
