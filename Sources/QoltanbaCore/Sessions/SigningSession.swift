import Foundation

/// A signing session as stored: who signs, what kind of documents, and where its lifecycle stands.
public struct SigningSession: Hashable, Sendable {
    public let id: UUID
    /// The organization whose API key created it.
    public let organizationID: UUID
    /// The id the stamped copies' QR code carries to the public check page.
    public let checkID: UUID
    public let iin: IIN
    public let phone: PhoneNumber
    public let documentType: DocumentType
    /// The state and the time to live.
    public private(set) var lifecycle: SessionLifecycle
    /// The integrator's `metadata` object, if it gave one.
    public let metadata: JSONValue?
    public let createdAt: Date
    public private(set) var updatedAt: Date

    public init(
        id: UUID, organizationID: UUID, checkID: UUID, iin: IIN, phone: PhoneNumber, documentType: DocumentType,
        lifecycle: SessionLifecycle, metadata: JSONValue?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.checkID = checkID
        self.iin = iin
        self.phone = phone
        self.documentType = documentType
        self.lifecycle = lifecycle
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A new session, `STARTED`, living `timeToLive` seconds from `now`.
    public static func new(
        organizationID: UUID, iin: IIN, phone: PhoneNumber, documentType: DocumentType, metadata: JSONValue?,
        now: Date, timeToLive: Double
    ) -> SigningSession {
        SigningSession(
            id: UUID(), organizationID: organizationID, checkID: UUID(), iin: iin, phone: phone, documentType: documentType,
            lifecycle: .new(createdAt: now, timeToLive: timeToLive), metadata: metadata, createdAt: now, updatedAt: now)
    }

    public var status: SessionStatus { lifecycle.state.status }
    public var expiresAt: Date { lifecycle.expiresAt }

    /// The session after `state` took effect at `date`.
    public func moved(to state: SessionLifecycle.State, at date: Date) -> SigningSession {
        var moved = self
        moved.lifecycle = SessionLifecycle(state: state, expiresAt: expiresAt)
        moved.updatedAt = date
        return moved
    }

    /// The session as it reads at `now`: an active one past its time to live is canceled
    /// (`EXPIRED`) since the moment it expired, whether or not that was recorded.
    public func read(at now: Date) -> SigningSession {
        var lifecycle = self.lifecycle
        guard case .changed(_, let to) = lifecycle.expireIfDue(at: now) else { return self }
        return moved(to: to, at: expiresAt)
    }
}
