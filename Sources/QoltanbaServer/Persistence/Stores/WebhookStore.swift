import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// The webhook outbox (`webhook_events`) and the log of delivery attempts.
struct WebhookStore {
    let database: any Database

    /// An event with its delivery attempts, in the order attempted.
    typealias Delivery = (event: WebhookEventModel, attempts: [WebhookAttemptModel])

    /// Adds the event of the session's current status, if its organization has a webhook.
    func enqueue(_ session: SigningSession, at now: Date) async throws {
        let id = UUID()
        guard let organization = try await OrganizationModel.find(session.organizationID, on: database),
              organization.webhookURL != nil,
              let payload = WebhookPayload(
                  id: id, session: session.id, checkID: session.checkID, state: session.lifecycle.state, metadata: session.metadata, at: now)
        else { return }
        try await add(WebhookEventModel(
            id: id, organizationID: session.organizationID, sessionID: session.id, event: payload.event,
            payload: try payload.body(), at: now))
    }

    /// Stores a new event, numbered by the database after every event stored before it: a
    /// session's events go out in that order, whatever the clocks of the instances that wrote them.
    func add(_ event: WebhookEventModel) async throws {
        let sql = database.sql
        // PostgreSQL's column takes the next of its sequence; SQLite's writers take turns.
        let (column, value): (SQLQueryString, SQLQueryString) = sql.dialect.name == "postgresql"
            ? ("", "") : (", sequence", ", (SELECT COALESCE(MAX(sequence), 0) + 1 FROM webhook_events)")
        try await sql.raw("""
            INSERT INTO webhook_events (id, organization_id, session_id, event, payload, state, attempts, next_attempt_at, created_at\(column))
            VALUES (\(bind: try event.requireID()), \(bind: event.organizationID), \(bind: event.sessionID), \(bind: event.event),
                \(bind: event.payload), \(bind: event.state), \(bind: event.attempts), \(bind: event.nextAttemptAt),
                \(bind: event.createdAt)\(value))
            """).run()
        event.$id.exists = true
    }

    /// How many events wait for delivery (pending, due or not).
    func pendingCount() async throws -> Int {
        let rows = try await database.sql.raw("SELECT COUNT(*) AS pending FROM webhook_events WHERE state = 'pending'").all()
        return try rows.first?.decode(column: "pending", as: Int.self) ?? 0
    }

    /// Takes the oldest due event of an organization not in `excluded` until `now + lease` (on
    /// PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that several instances never take the same
    /// one). A claim lapses, so an event whose instance died is taken up again. A session's events
    /// go one at a time and in the order they were stored: none is taken while an earlier one of its
    /// session is pending.
    func claimDue(now: Date, lease: TimeInterval, excluding excluded: [UUID] = []) async throws -> (event: UUID, organization: UUID)? {
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
    func release(_ event: WebhookEventModel) async throws {
        event.claimedUntil = nil
        try await event.save(on: database)
    }

    /// The event with this id.
    func event(_ id: UUID) async throws -> WebhookEventModel? {
        try await WebhookEventModel.find(id, on: database)
    }

    /// Stores an attempt and the event's state after it, together.
    func record(_ attempt: WebhookAttemptModel, of event: WebhookEventModel) async throws {
        try await database.transaction { transaction in
            try await attempt.create(on: transaction)
            try await event.save(on: transaction)
        }
    }

    /// Makes an event due again now (also a dead one), with a fresh count of attempts.
    /// - Returns: the event, nil when there is none with this id.
    func redeliver(_ id: UUID, now: Date = Date()) async throws -> WebhookEventModel? {
        guard let event = try await event(id) else { return nil }
        event.state = WebhookEventModel.State.pending.rawValue
        event.attempts = 0
        event.nextAttemptAt = now
        event.claimedUntil = nil
        try await event.save(on: database)
        return event
    }

    /// The session's events with their attempts (in the order attempted).
    func deliveries(of session: UUID) async throws -> [Delivery] {
        try await withAttempts(WebhookEventModel.query(on: database).filter(\.$sessionID == session).sort("sequence").all())
    }

    /// A page of the organization's events (in one state, if given), newest first, with their attempts.
    func list(organizationID: UUID, state: WebhookEventModel.State?, page: Int) async throws -> ListPage<Delivery> {
        var query = WebhookEventModel.query(on: database).filter(\.$organization.$id == organizationID)
        if let state { query = query.filter(\.$state == state.rawValue) }
        let listed = try await query.sort("sequence", .descending).page(page)
        return ListPage(rows: try await withAttempts(listed.rows), number: listed.number, hasMore: listed.hasMore)
    }

    /// The organization's newest events.
    func latest(organizationID: UUID, limit: Int) async throws -> [WebhookEventModel] {
        try await WebhookEventModel.query(on: database).filter(\.$organization.$id == organizationID)
            .sort("sequence", .descending).limit(limit).all()
    }

    private func withAttempts(_ events: [WebhookEventModel]) async throws -> [Delivery] {
        let ids = events.compactMap(\.id)
        let attempts = ids.isEmpty ? [] : try await WebhookAttemptModel.query(on: database).filter(\.$eventID ~~ ids).sort(\.$attemptedAt).all()
        let byEvent = Dictionary(grouping: attempts, by: \.eventID)
        return events.map { event in (event, event.id.flatMap { byEvent[$0] } ?? []) }
    }
}

extension WebhookEventModel {
    /// The organization whose webhook receives the event.
    var organizationID: UUID { $organization.id }
}
