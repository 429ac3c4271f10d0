/// The `reason` the signing client adds to the redirect URL when a session fails: the API reference's 14
/// values, each mapped to the failure type the status endpoint then reports.
public enum ClientFailure: String, CaseIterable, Codable, Hashable, Sendable {
    /// The session was not found (or is not this browser's, or has ended).
    case refresh
    /// The face did not match.
    case faceToFace = "f2f"
    /// Liveness failed.
    case liveness = "lv"
    /// The signer closed the window during liveness.
    case closed
    /// The liveness service is unavailable.
    case livenessUnavailable = "lv-unavailable"
    /// Too many wrong passwords.
    case password
    /// Too many wrong SMS codes while signing.
    case otp
    /// The certificate ("E-Document") service could not be reached.
    case request
    /// Reissuing an expired certificate failed.
    case reissue
    /// Starting the certificate's creation failed.
    case certificate
    /// Too many wrong SMS codes while creating a password.
    case passwordOTP = "password-otp"
    /// Issuing the certificate failed.
    case acceptCertificate = "accept-certificate"
    /// Signing a document failed.
    case signDocument = "sign-doc"
    /// The liveness video could not be received.
    case video

    /// The failure reason the session is canceled with.
    public var failureReason: FailureReason {
        switch self {
        case .liveness, .closed, .livenessUnavailable, .video: FailureReason(.liveness)
        case .faceToFace: FailureReason(.faceToFace)
        case .request, .certificate, .acceptCertificate, .reissue: FailureReason(.eDocument)
        case .refresh, .password, .otp, .passwordOTP, .signDocument: FailureReason(.other)
        }
    }

    /// The API reference's description of the reason, shown to the signer.
    public var standardDescription: String {
        switch self {
        case .refresh: "Session was not found, please do not refresh the page during the whole process"
        case .faceToFace: "F2F pass error"
        case .liveness: "Error in passing Liveness"
        case .closed: "You closed the window while passing the liveness test"
        case .livenessUnavailable: "Liveness service is currently unavailable"
        case .password: "You have exceeded the allowed number of password attempts"
        case .otp: "You have exceeded the allowed number of attempts to enter the SMS code"
        case .request: "Error when sending a request to the E-Document"
        case .reissue: "Certificate reissue error"
        case .certificate: "Certificate creation initialization error"
        case .passwordOTP: "You have exceeded the allowed number of attempts to enter the SMS code to create a password"
        case .acceptCertificate: "Certificate issuance error"
        case .signDocument: "Error in signing a document"
        case .video: "Video download error"
        }
    }
}
