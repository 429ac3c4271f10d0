import Foundation

/// A session's signing client in the one browser bound to it, as stored: where the flow stands
/// and what it keeps between steps. A step makes a new value from the stored one; it is saved once.
public struct SigningClientFlow: Hashable, Sendable {
    /// The session's id (a session has at most one flow).
    public let sessionID: UUID
    /// The SHA-256 of the browser's token (the cookie); the token itself is never stored.
    public let browserHash: String
    /// Where the flow ends, when the integrator gave an allowed one.
    public let redirectURL: String?
    /// The client's language code, as opened.
    public let language: String
    /// 1 for the dark theme.
    public let theme: Int
    public var flow: SigningFlow
    /// The hash of the SMS code sent at the current code step.
    public var pendingCode: PendingCode?
    /// The signer's password, sealed with the browser's token, until the documents are signed.
    public var activation: [UInt8]?
    /// The liveness frame kept for the face match.
    public var faceFrame: [UInt8]?
    /// The certificate the flow signs with, and how it came (`issued`, `reissued`, `reused`).
    public var certificateID: UUID?
    public var certificateEvent: String?
    /// Raised by every claim and release: a step acts only on the version it loaded.
    public let version: Int
    public let createdAt: Date
    public var updatedAt: Date

    public init(
        sessionID: UUID, browserHash: String, redirectURL: String?, language: String, theme: Int, flow: SigningFlow,
        pendingCode: PendingCode? = nil, activation: [UInt8]? = nil, faceFrame: [UInt8]? = nil, certificateID: UUID? = nil,
        certificateEvent: String? = nil, version: Int = 0, createdAt: Date, updatedAt: Date
    ) {
        self.sessionID = sessionID
        self.browserHash = browserHash
        self.redirectURL = redirectURL
        self.language = language
        self.theme = theme
        self.flow = flow
        self.pendingCode = pendingCode
        self.activation = activation
        self.faceFrame = faceFrame
        self.certificateID = certificateID
        self.certificateEvent = certificateEvent
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The flow without the secrets it held (the sealed password, the frame, the code).
    public var erased: SigningClientFlow {
        var erased = self
        erased.activation = nil
        erased.faceFrame = nil
        erased.pendingCode = nil
        return erased
    }
}
