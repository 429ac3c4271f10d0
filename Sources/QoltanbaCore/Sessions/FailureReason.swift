/// Why a session was canceled: the `failure_reason` of the status response.
public struct FailureReason: Hashable, Codable, Sendable {
    /// The API reference's failure types.
    public enum Kind: String, CaseIterable, Codable, Hashable, Sendable {
        /// The session outlived its time to live.
        case expired = "EXPIRED"
        /// The liveness check failed or could not run.
        case liveness = "LIVENESS"
        /// The face did not match the registry photo.
        case faceToFace = "FACE2FACE"
        /// The certificate ("E-Document") service failed.
        case eDocument = "EDOCUMENT"
        /// Any other failure: passwords, codes, signing, a lost session.
        case other = "OTHER"

        /// The API reference's detail text for this type.
        public var standardDetail: String {
            switch self {
            case .expired: "Session has expired"
            case .liveness, .faceToFace: "Liveness or F2F failed"
            case .eDocument: "Could not send request to edocument service"
            case .other: "Other"
            }
        }
    }

    /// The failure type, e.g. `EXPIRED`.
    public var type: Kind
    /// The human-readable detail, e.g. `Session has expired`.
    public var detail: String

    /// A reason of the given type with the API reference's detail text.
    public init(_ type: Kind) {
        self.type = type
        self.detail = type.standardDetail
    }

    /// A reason with an explicit detail text (as read back from storage).
    public init(type: Kind, detail: String) {
        self.type = type
        self.detail = detail
    }

    /// The session outlived its time to live.
    public static let expired = FailureReason(.expired)
}
