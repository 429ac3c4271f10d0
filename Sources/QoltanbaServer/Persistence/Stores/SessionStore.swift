import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// Signing sessions, their lifecycle transitions and their log. Documents: `SessionStore+Documents`.
///
/// A read never writes: it shows a session past its time to live as canceled (`EXPIRED`), and the
/// expiry is recorded by the expiry job or by the next write to the session (``settled(_:now:)``),
/// whichever comes first. A transition is written only if the stored status is still the one it
/// started from, so two instances (or the job and a request) can never both move the same session.
struct SessionStore {
    let database: any Database

    // The API's hot paths (create, and every read of a session) are plain SQL: the model layer
    // enumerates a model's properties by reflection on every query, which cost more than the query.

    private static let columns = """
        id, organization_id, check_id, iin, phone, document_type, status, failure_type, failure_detail, metadata,
        created_at, updated_at, expires_at
        """

    /// Stores a new session.
    func create(_ session: SigningSessionModel) async throws {
        try await database.sql.raw("""
            INSERT INTO signing_sessions (\(unsafeRaw: Self.columns)) VALUES (
                \(bind: try session.requireID()), \(bind: session.organizationID), \(bind: session.checkID), \(bind: session.iin),
                \(bind: session.phone), \(bind: session.documentType), \(bind: session.status), \(bind: session.failureType),
                \(bind: session.failureDetail), \(bind: session.metadata), \(bind: session.createdAt), \(bind: session.updatedAt),
                \(bind: session.expiresAt))
            """).run()
        session.$id.exists = true
    }

    /// The session with this id as stored, without expiry.
    func stored(_ id: UUID) async throws -> SigningSessionModel? {
        try await stored(where: "id", is: id)
    }

    /// The session whose `column` (`id` or `check_id`, both unique) holds `value`, as stored.
    private func stored(where column: String, is value: UUID) async throws -> SigningSessionModel? {
        let rows = try await database.sql.raw(
            "SELECT \(unsafeRaw: Self.columns) FROM signing_sessions WHERE \(ident: column) = \(bind: value)").all()
        guard let row = rows.first else { return nil }
        let session = SigningSessionModel()
        session.id = try row.decode(column: "id", as: UUID.self)
        session.$organization.id = try row.decode(column: "organization_id", as: UUID.self)
        session.checkID = try row.decode(column: "check_id", as: UUID.self)
        session.iin = try row.decode(column: "iin", as: String.self)
        session.phone = try row.decode(column: "phone", as: String.self)
        session.documentType = try row.decode(column: "document_type", as: String.self)
        session.status = try row.decode(column: "status", as: String.self)
        session.failureType = try row.decode(column: "failure_type", as: String?.self)
        session.failureDetail = try row.decode(column: "failure_detail", as: String?.self)
        session.metadata = try row.decode(column: "metadata", as: String?.self)
        session.createdAt = try row.decode(column: "created_at", as: Date.self)
        session.updatedAt = try row.decode(column: "updated_at", as: Date.self)
        session.expiresAt = try row.decode(column: "expires_at", as: Date.self)
        session.$id.exists = true
        return session
    }

    /// The session with this id as it reads at `now`, nil when there is none. Never writes: a
    /// session past its time to live reads as canceled (`EXPIRED`) whether or not the expiry job
    /// or a write has recorded that yet.
    func find(_ id: UUID, now: Date = Date()) async throws -> SigningSessionModel? {
        try await stored(id)?.read(at: now)
    }

    /// The session with this id as stored, for a write to it: a due expiry is recorded first (its
    /// log entry, webhook and erased secrets, once whoever comes first), so that the write starts
    /// from the state every read has shown.
    func settled(_ id: UUID, now: Date = Date()) async throws -> SigningSessionModel? {
        guard let session = try await stored(id) else { return nil }
        return try await settling(session, now: now).session
    }

    /// Records the expiry of the session with this id when it is due and not recorded yet.
    /// - Returns: whether this call recorded it.
    func expireIfDue(_ id: UUID, now: Date = Date()) async throws -> Bool {
        guard let session = try await stored(id) else { return false }
        return try await settling(session, now: now).expired
    }

    private func settling(_ session: SigningSessionModel, now: Date) async throws -> (session: SigningSessionModel, expired: Bool) {
        var lifecycle = session.lifecycle
        guard case .changed(let from, let to) = lifecycle.expireIfDue(at: now) else { return (session, false) }
        // The session ended when its time ran out, and that is when every read has said it ended.
        let stored = try await record(session, from: from, to: to, at: session.expiresAt)
        return (stored, stored === session)
    }

    /// The session with this id when it belongs to `organizationID`, as it reads at `now`
    /// (`settling` for a write: see ``settled(_:now:)``).
    /// - Throws: `Session not found`, or `You don't have access to these session actions` for
    ///   another organization's session.
    func find(_ id: UUID, ownedBy organizationID: UUID, settling: Bool = false, now: Date = Date()) async throws -> SigningSessionModel {
        guard let session = try await stored(id) else { throw QoltanbaError.sessionNotFound }
        guard session.organizationID == organizationID else { throw QoltanbaError.sessionAccessDenied }
        return settling ? try await self.settling(session, now: now).session : session.read(at: now)
    }

    /// The session with this id when it belongs to `organizationID`, nil otherwise; as it reads now.
    func find(_ id: UUID, visibleTo organizationID: UUID) async throws -> SigningSessionModel? {
        guard let session = try await stored(id), session.organizationID == organizationID else { return nil }
        return session.read(at: Date())
    }

    /// The session whose copies carry this check id, as it reads now.
    func find(checkID: UUID) async throws -> SigningSessionModel? {
        try await stored(where: "check_id", is: checkID)?.read(at: Date())
    }

    /// Writes a transition if the stored status is still `from`, and returns the session as stored
    /// afterwards: `session` itself when this call moved it, a new instance re-read when another
    /// writer got there first. In the same transaction the event goes into the webhook outbox and the
    /// session's log, and an ended session's signing-client secrets are erased.
    @discardableResult
    func record(
        _ session: SigningSessionModel, from: SessionStatus, to state: SessionLifecycle.State, at now: Date
    ) async throws -> SigningSessionModel {
        guard let id = session.id else { throw QoltanbaError.sessionNotFound }
        let moved = try await database.transaction { transaction in
            let updated = try await transaction.sql.update(SigningSessionModel.schema)
                .set("status", to: state.status.rawValue)
                .set("failure_type", to: state.failureReason?.type.rawValue)
                .set("failure_detail", to: state.failureReason?.detail)
                .set("updated_at", to: now)
                .where("id", .equal, id)
                .where("status", .equal, from.rawValue)
                .returning("id")
                .all()
            guard !updated.isEmpty else { return false }
            session.status = state.status.rawValue
            session.failureType = state.failureReason?.type.rawValue
            session.failureDetail = state.failureReason?.detail
            session.updatedAt = now
            try await WebhookStore(database: transaction).enqueue(session, at: now)
            try await SessionStore(database: transaction).log(.status, session: id, detail: state.status.rawValue, at: now)
            if state.status == .finished || state.status == .canceled {
                // An ended session keeps none of the signing client's secrets (the sealed password,
                // the camera frame, the code), however it ended.
                try await SigningFlowStore(database: transaction).eraseSecrets(of: id)
            }
            return true
        }
        if moved {
            if state.status == .finished || state.status == .canceled {
                QoltanbaMetrics.sessionEnded(status: state.status.rawValue, reason: state.failureReason?.type.rawValue)
            }
            return session
        }
        guard let current = try await stored(id) else {
            throw QoltanbaError.sessionNotFound
        }
        return current
    }

    /// Ids of active sessions whose time to live has run out and whose expiry is not recorded yet, oldest first.
    func expiredActiveSessionIDs(now: Date, limit: Int) async throws -> [UUID] {
        try await SigningSessionModel.query(on: database)
            .filter(\.$status ~~ [SessionStatus.started.rawValue, SessionStatus.process.rawValue])
            .filter(\.$expiresAt <= now)
            .sort(\.$expiresAt).limit(limit).all(\.$id)
    }

    /// A page of the organization's sessions as they read at `now`, newest first, with the status
    /// given (as read: an overdue active session is canceled) and created in `[from, to)` when given.
    func list(
        organizationID: UUID, status: SessionStatus?, from: Date?, to: Date?, page: Int, now: Date = Date()
    ) async throws -> ListPage<SigningSessionModel> {
        let active = [SessionStatus.started.rawValue, SessionStatus.process.rawValue]
        var query = SigningSessionModel.query(on: database).filter(\.$organization.$id == organizationID)
        switch status {
        case nil:
            break
        case .started?, .process?:
            query = query.filter(\.$status == (status?.rawValue ?? "")).filter(\.$expiresAt > now)
        case .canceled?:
            query = query.group(.or) { either in
                either.filter(\.$status == SessionStatus.canceled.rawValue)
                    .group(.and) { overdue in overdue.filter(\.$status ~~ active).filter(\.$expiresAt <= now) }
            }
        case .finished?:
            query = query.filter(\.$status == SessionStatus.finished.rawValue)
        }
        if let from { query = query.filter(\.$createdAt >= from) }
        if let to { query = query.filter(\.$createdAt < to) }
        let listed = try await query.sort(\.$createdAt, .descending).sort(\.$id).page(page)
        return ListPage(rows: listed.rows.map { $0.read(at: now) }, number: listed.number, hasMore: listed.hasMore)
    }

    // MARK: Log

    /// Adds an entry to the session's log (its timeline in the cabinet).
    func log(_ event: SessionLogModel.Event, session: UUID, step: String? = nil, detail: String? = nil, at date: Date) async throws {
        try await SessionLogModel(sessionID: session, at: date, event: event, step: step, detail: detail).create(on: database)
    }

    /// The session's log, oldest first.
    func log(of session: UUID) async throws -> [SessionLogModel] {
        try await SessionLogModel.query(on: database).filter(\.$sessionID == session).sort(\.$at).all()
    }
}

extension SigningSessionModel {
    /// The organization the session belongs to.
    var organizationID: UUID { $organization.id }

    /// This session (just loaded) as it reads at `now`: an active one past its time to live shows
    /// as canceled (`EXPIRED`) since the moment it expired. Nothing is written.
    func read(at now: Date) -> SigningSessionModel {
        var lifecycle = self.lifecycle
        guard case .changed(_, let to) = lifecycle.expireIfDue(at: now) else { return self }
        status = to.status.rawValue
        failureType = to.failureReason?.type.rawValue
        failureDetail = to.failureReason?.detail
        updatedAt = expiresAt
        return self
    }
}
