import struct Foundation.Date

/// The lifecycle of a signing session as a value: `STARTED → PROCESS → FINISHED`, or `CANCELED`
/// from either active status, by a failure or by expiry.
///
/// Each event is a `mutating` method that returns a ``Transition``; nothing here performs I/O.
/// The caller persists a change (guarded by the status it started from) and fires its effects.
/// A final status never changes again.
public struct SessionLifecycle: Hashable, Sendable {
    /// The status and, when canceled, why.
    public enum State: Hashable, Sendable {
        /// Created; documents may be uploaded.
        case started
        /// The signer is in the signing client.
        case process
        /// Every document is signed.
        case finished
        /// Failed, canceled or expired, for this reason.
        case canceled(FailureReason)

        /// The status as the API names it.
        public var status: SessionStatus {
            switch self {
            case .started: .started
            case .process: .process
            case .finished: .finished
            case .canceled: .canceled
            }
        }

        /// The failure reason, present only when canceled.
        public var failureReason: FailureReason? {
            if case .canceled(let reason) = self { reason } else { nil }
        }
    }

    /// What an event did.
    public enum Transition: Hashable, Sendable {
        /// The state changed; persist `to` on the condition that the stored status is still `from`.
        case changed(from: SessionStatus, to: State)
        /// The event was allowed but changed nothing.
        case unchanged
        /// The event is not allowed in the current status.
        case refused(SessionStatus)
    }

    /// The current state.
    public private(set) var state: State
    /// The moment after which an active session is expired.
    public let expiresAt: Date

    /// A lifecycle in a given state, e.g. as loaded from storage.
    public init(state: State, expiresAt: Date) {
        self.state = state
        self.expiresAt = expiresAt
    }

    /// The lifecycle of a new session.
    public static func new(createdAt: Date, timeToLive: Double) -> SessionLifecycle {
        SessionLifecycle(state: .started, expiresAt: createdAt.addingTimeInterval(timeToLive))
    }

    /// Whether documents may be uploaded now.
    public var acceptsDocuments: Bool { state == .started }

    /// The clock has reached `now`: an active session past its expiry becomes canceled as `EXPIRED`.
    public mutating func expireIfDue(at now: Date) -> Transition {
        switch state {
        case .started, .process:
            guard now >= expiresAt else { return .unchanged }
            return move(to: .canceled(.expired))
        case .finished, .canceled:
            return .unchanged
        }
    }

    /// The signer opened the signing client. Opening it again while in `PROCESS` (a reload) changes nothing.
    public mutating func open() -> Transition {
        switch state {
        case .started: move(to: .process)
        case .process: .unchanged
        case .finished, .canceled: .refused(state.status)
        }
    }

    /// Every document has been signed.
    public mutating func finish() -> Transition {
        switch state {
        case .process: move(to: .finished)
        case .started, .finished, .canceled: .refused(state.status)
        }
    }

    /// The session failed or was canceled for `reason`.
    public mutating func cancel(_ reason: FailureReason) -> Transition {
        switch state {
        case .started, .process: move(to: .canceled(reason))
        case .finished, .canceled: .refused(state.status)
        }
    }

    private mutating func move(to next: State) -> Transition {
        let from = state.status
        state = next
        return .changed(from: from, to: next)
    }
}
