import Foundation

/// The body of a webhook delivery, exactly as it is signed and posted: every field, `null` included.
public struct WebhookPayload: Codable, Sendable {
    public let id: String
    public let event: String
    public let session_id: String
    public let check_id: String
    public let created: String
    public let success: Bool
    public let status: SessionStatus
    public let failure_reason: FailureReason?
    public let metadata: JSONValue?

    /// The event of a session's status change at `date`; nil for a status that has none (`STARTED`).
    public init?(id: UUID, session: UUID, checkID: UUID, state: SessionLifecycle.State, metadata: JSONValue?, at date: Date) {
        guard let event = Self.eventName(state.status) else { return nil }
        self.id = id.apiString
        self.event = event
        self.session_id = session.apiString
        self.check_id = checkID.apiString
        self.created = APITimestamp.format(date)
        self.success = state.status == .finished
        self.status = state.status
        self.failure_reason = state.failureReason
        self.metadata = metadata
    }

    /// The event a status names: `session.process`, `session.finished` or `session.canceled`.
    public static func eventName(_ status: SessionStatus) -> String? {
        switch status {
        case .started: nil
        case .process: "session.process"
        case .finished: "session.finished"
        case .canceled: "session.canceled"
        }
    }

    /// The JSON posted: keys sorted, slashes unescaped.
    public func body() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        enum Key: String, CodingKey { case id, event, session_id, check_id, created, success, status, failure_reason, metadata }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(id, forKey: .id)
        try container.encode(event, forKey: .event)
        try container.encode(session_id, forKey: .session_id)
        try container.encode(check_id, forKey: .check_id)
        try container.encode(created, forKey: .created)
        try container.encode(success, forKey: .success)
        try container.encode(status, forKey: .status)
        try container.encode(failure_reason, forKey: .failure_reason)
        try container.encode(metadata, forKey: .metadata)
    }
}
