import Fluent
import Foundation
import QoltanbaCore
import Vapor

/// Writes session events into the outbox (`webhook_events`), for organizations with a webhook.
struct WebhookOutbox {
    let database: any Database

    /// The body of a delivery, exactly as it is signed and posted.
    struct Payload: Codable {
        let id: String
        let event: String
        let session_id: String
        let check_id: String
        let created: String
        let success: Bool
        let status: SessionStatus
        let failure_reason: FailureReason?
        let metadata: JSONValue?

        /// Every field, `null` included.
        func encode(to encoder: any Encoder) throws {
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

    /// The event a status names: `session.process`, `session.finished` or `session.canceled`.
    static func eventName(_ status: SessionStatus) -> String? {
        switch status {
        case .started: nil
        case .process: "session.process"
        case .finished: "session.finished"
        case .canceled: "session.canceled"
        }
    }

    /// Adds the event of the session's current status, if its organization has a webhook.
    func enqueue(_ session: SigningSessionModel, at now: Date) async throws {
        let state = session.lifecycle.state
        guard let event = Self.eventName(state.status),
              let organization = try await OrganizationModel.find(session.$organization.id, on: database),
              organization.webhookURL != nil
        else { return }
        let id = UUID()
        let payload = Payload(
            id: id.apiString, event: event, session_id: try session.requireID().apiString, check_id: session.checkID.apiString,
            created: APITimestamp.format(now), success: state.status == .finished, status: state.status,
            failure_reason: state.failureReason,
            metadata: session.metadata.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = String(decoding: try encoder.encode(payload), as: UTF8.self)
        try await WebhookEventModel(
            id: id, organizationID: try organization.requireID(), sessionID: try session.requireID(), event: event,
            payload: body, at: now
        ).create(on: database)
    }
}
