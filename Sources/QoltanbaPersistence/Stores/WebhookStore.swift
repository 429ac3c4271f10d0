import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// The webhook outbox (`webhook_events`) and the log of delivery attempts.
public struct WebhookStore: Sendable {
    let database: any Database

    private static func event(_ model: WebhookEventModel) throws -> WebhookEvent {
        WebhookEvent(
            id: try model.requireID(), organizationID: model.organizationID, sessionID: model.sessionID, event: model.event,
            payload: model.payload, state: WebhookEvent.State(rawValue: model.state) ?? .dead, attempts: model.attempts,
            nextAttemptAt: model.nextAttemptAt, claimedUntil: model.claimedUntil, lastStatus: model.lastStatus,
            lastError: model.lastError, createdAt: model.createdAt, deliveredAt: model.deliveredAt)
    }

    /// Adds the event of the session's current status, if its organization has a webhook.
    public func enqueue(_ session: SigningSession, at now: Date) async throws {
        let id = UUID()
        guard let organization = try await OrganizationModel.find(session.organizationID, on: database),
              organization.webhookURL != nil,
              let payload = WebhookPayload(
                  id: id, session: session.id, checkID: session.checkID, state: session.lifecycle.state, metadata: session.metadata, at: now)
        else { return }
        try await add(.new(
            id: id, organizationID: session.organizationID, sessionID: session.id, event: payload.event,
            payload: try payload.body(), at: now))
    }

    /// Stores a new event, numbered by the database after every event stored before it: a
    /// session's events go out in that order, whatever the clocks of the instances that wrote them.
    public func add(_ event: WebhookEvent) async throws {
        let sql = database.sql
        // PostgreSQL's column takes the next of its sequence; SQLite's writers take turns.
        let (column, value): (SQLQueryString, SQLQueryString) = sql.dialect.name == "postgresql"
            ? ("", "") : (", sequence", ", (SELECT COALESCE(MAX(sequence), 0) + 1 FROM webhook_events)")
        try await sql.raw("""
            INSERT INTO webhook_events (id, organization_id, session_id, event, payload, state, attempts, next_attempt_at, created_at\(column))
            VALUES (\(bind: event.id), \(bind: event.organizationID), \(bind: event.sessionID), \(bind: event.event),
                \(bind: event.payload), \(bind: event.state.rawValue), \(bind: event.attempts), \(bind: event.nextAttemptAt),
                \(bind: event.createdAt)\(value))
            """).run()
    }

    /// How many events wait for delivery (pending, due or not).
    public func pendingCount() async throws -> Int {
        let rows = try await database.sql.raw("SELECT COUNT(*) AS pending FROM webhook_events WHERE state = 'pending'").all()
        return try rows.first?.decode(column: "pending", as: Int.self) ?? 0
    }

    /// Takes the oldest due event of an organization not in `excluded` until `now + lease` (on
    /// PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that several instances never take the same
    /// one). A claim lapses, so an event whose instance died is taken up again. A session's events
    /// go one at a time and in the order they were stored: none is taken while an earlier one of its
    /// session is pending.
    public func claimDue(now: Date, lease: TimeInterval, excluding excluded: [UUID] = []) async throws -> (event: UUID, organization: UUID)? {
        let sql = database.sql
        let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        let others: SQLQueryString = excluded.isEmpty ? "" : " AND organization_id NOT IN (\(binds: excluded))"
        let rows = try await sql.raw("""
            UPDATE webhook_events SET claimed_until = \(bind: now.addingTimeInterval(lease))
            WHERE id IN (SELECT id FROM webhook_events
                WHERE state = 'pending' AND next_attempt_at <= \(bind: now)
                AND (claimed_until IS NULL OR claimed_until < \(bind: now))\(others)
                AND NOT EXISTS (SELECT 1 FROM webhook_events AS earlier WHERE earlier.session_id = webhook_events.session_id
                    AND earlier.state = 'pending' AND earlier.sequence < webhook_events.sequence)
                ORDER BY next_attempt_at, sequence LIMIT 1\(lock))
            RETURNING id, organization_id
            """).all()
        guard let row = rows.first else { return nil }
        return (try row.decode(column: "id", as: UUID.self), try row.decode(column: "organization_id", as: UUID.self))
    }

    /// Gives a claimed event back without an attempt (its delivery was stopped by shutdown).
    public func release(_ event: UUID) async throws {
        try await database.sql.update(WebhookEventModel.schema).set("claimed_until", to: SQLLiteral.null).where("id", .equal, event).run()
    }

    /// The event with this id.
    public func event(_ id: UUID) async throws -> WebhookEvent? {
        try await WebhookEventModel.find(id, on: database).map(Self.event)
    }

    /// Stores an attempt and the event's state after it (`event`, claim released), together.
    public func record(_ attempt: WebhookAttempt, of event: WebhookEvent) async throws {
        try await database.transaction { transaction in
            try await WebhookAttemptModel(
                eventID: attempt.eventID, at: attempt.attemptedAt, status: attempt.status, error: attempt.error,
                milliseconds: attempt.milliseconds
            ).create(on: transaction)
            try await transaction.sql.update(WebhookEventModel.schema)
                .set("state", to: event.state.rawValue).set("attempts", to: event.attempts)
                .set("next_attempt_at", to: event.nextAttemptAt).set("claimed_until", to: SQLLiteral.null)
                .set("last_status", to: event.lastStatus).set("last_error", to: event.lastError)
                .set("delivered_at", to: event.deliveredAt)
                .where("id", .equal, event.id)
                .run()
        }
    }

    /// Makes an event due again now (also a dead one), with a fresh count of attempts.
    /// - Returns: whether there is an event with this id.
    public func redeliver(_ id: UUID, now: Date = Date()) async throws -> Bool {
        try await !database.sql.update(WebhookEventModel.schema)
            .set("state", to: WebhookEvent.State.pending.rawValue).set("attempts", to: 0)
            .set("next_attempt_at", to: now).set("claimed_until", to: SQLLiteral.null)
            .where("id", .equal, id)
            .returning("id")
            .all().isEmpty
    }

    /// The session's events with their attempts (in the order attempted).
    public func deliveries(of session: UUID) async throws -> [WebhookDelivery] {
        try await withAttempts(WebhookEventModel.query(on: database).filter(\.$sessionID == session).sort("sequence").all())
    }

    /// A page of the organization's events (in one state, if given), newest first, with their attempts.
    public func list(organizationID: UUID, state: WebhookEvent.State?, page: Int) async throws -> ListPage<WebhookDelivery> {
        var query = WebhookEventModel.query(on: database).filter(\.$organization.$id == organizationID)
        if let state { query = query.filter(\.$state == state.rawValue) }
        let listed = try await query.sort("sequence", .descending).page(page)
        return ListPage(rows: try await withAttempts(listed.rows), number: listed.number, hasMore: listed.hasMore)
    }

    /// The organization's newest events.
    public func latest(organizationID: UUID, limit: Int) async throws -> [WebhookEvent] {
        try await WebhookEventModel.query(on: database).filter(\.$organization.$id == organizationID)
            .sort("sequence", .descending).limit(limit).all().map(Self.event)
    }

    private func withAttempts(_ events: [WebhookEventModel]) async throws -> [WebhookDelivery] {
        let ids = events.compactMap(\.id)
        let attempts = ids.isEmpty ? [] : try await WebhookAttemptModel.query(on: database).filter(\.$eventID ~~ ids).sort(\.$attemptedAt).all()
        let byEvent = Dictionary(grouping: attempts, by: \.eventID)
        return try events.map { model in
            let event = try Self.event(model)
            return WebhookDelivery(event: event, attempts: (byEvent[event.id] ?? []).map { attempt in
                WebhookAttempt(
                    eventID: attempt.eventID, attemptedAt: attempt.attemptedAt, status: attempt.status, error: attempt.error,
                    milliseconds: attempt.milliseconds)
            })
        }
    }
}

extension WebhookEventModel {
    /// The organization whose webhook receives the event.
    var organizationID: UUID { $organization.id }
}

/// An event of the webhook outbox: a session's status change for its organization's webhook.
public struct WebhookEvent: Sendable {
    public enum State: String, Sendable {
        case pending, delivered, dead
    }

    public let id: UUID
    public let organizationID: UUID
    public let sessionID: UUID
    /// `session.process`, `session.finished` or `session.canceled`.
    public let event: String
    /// The JSON body posted.
    public let payload: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public let claimedUntil: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public let createdAt: Date
    public var deliveredAt: Date?

    /// A new event, due at once.
    public static func new(id: UUID, organizationID: UUID, sessionID: UUID, event: String, payload: String, at now: Date) -> WebhookEvent {
        WebhookEvent(
            id: id, organizationID: organizationID, sessionID: sessionID, event: event, payload: payload, state: .pending,
            attempts: 0, nextAttemptAt: now, claimedUntil: nil, lastStatus: nil, lastError: nil, createdAt: now, deliveredAt: nil)
    }
}

/// One try at delivering an event.
public struct WebhookAttempt: Sendable {
    public let eventID: UUID
    public let attemptedAt: Date
    /// The receiver's status code; nil when it did not answer.
    public let status: Int?
    public let error: String?
    public let milliseconds: Int

    public init(eventID: UUID, attemptedAt: Date, status: Int?, error: String?, milliseconds: Int) {
        self.eventID = eventID
        self.attemptedAt = attemptedAt
        self.status = status
        self.error = error
        self.milliseconds = milliseconds
    }
}

/// An event with its delivery attempts, in the order attempted.
public struct WebhookDelivery: Sendable {
    public let event: WebhookEvent
    public let attempts: [WebhookAttempt]
}
