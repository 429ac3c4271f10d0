import Fluent
import Foundation

/// A session event waiting to be delivered, delivered, or dead: the outbox, written in the same
/// transaction as the status change it reports.
// @unchecked Sendable: see OrganizationModel.
final class WebhookEventModel: Model, @unchecked Sendable {
    static let schema = "webhook_events"

    /// Where an event stands.
    enum State: String {
        case pending, delivered, dead
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: OrganizationModel
    @Field(key: "session_id") var sessionID: UUID
    @Field(key: "event") var event: String
    /// The exact body that is posted (and signed).
    @Field(key: "payload") var payload: String
    @Field(key: "state") var state: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    /// Set while an instance delivers it; another instance leaves it alone until then.
    @OptionalField(key: "claimed_until") var claimedUntil: Date?
    @OptionalField(key: "last_status") var lastStatus: Int?
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "delivered_at") var deliveredAt: Date?

    init() {}

    init(id: UUID, organizationID: UUID, sessionID: UUID, event: String, payload: String, at now: Date) {
        self.id = id
        self.$organization.id = organizationID
        self.sessionID = sessionID
        self.event = event
        self.payload = payload
        self.state = State.pending.rawValue
        self.attempts = 0
        self.nextAttemptAt = now
        self.createdAt = now
    }
}

/// One try to deliver an event: when, the answer's status or the error, how long it took.
// @unchecked Sendable: see OrganizationModel.
final class WebhookAttemptModel: Model, @unchecked Sendable {
    static let schema = "webhook_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "attempted_at") var attemptedAt: Date
    @OptionalField(key: "status") var status: Int?
    @OptionalField(key: "error") var error: String?
    @Field(key: "milliseconds") var milliseconds: Int

    init() {}

    init(eventID: UUID, at date: Date, status: Int?, error: String?, milliseconds: Int) {
        self.id = UUID()
        self.eventID = eventID
        self.attemptedAt = date
        self.status = status
        self.error = error
        self.milliseconds = milliseconds
    }
}
