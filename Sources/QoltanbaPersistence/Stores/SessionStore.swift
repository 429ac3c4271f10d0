import Fluent
import Foundation
import Metrics
import QoltanbaCore
import SQLKit

/// Signing sessions, their lifecycle transitions and their log. Documents: `SessionStore+Documents`.
///
/// A read never writes: it shows a session past its time to live as canceled (`EXPIRED`), and the
/// expiry is recorded by the expiry job or by the next write to the session (``settled(_:now:)``),
/// whichever comes first. A transition is written only if the stored status is still the one it
/// started from, so two instances (or the job and a request) can never both move the same session.
public struct SessionStore: Sendable {
    let database: any Database

    // The API's hot paths (create, and every read of a session) are plain SQL: the model layer
    // enumerates a model's properties by reflection on every query, which cost more than the query.

    private static let columns = """
        id, organization_id, check_id, iin, phone, document_type, status, failure_type, failure_detail, metadata,
        created_at, updated_at, expires_at
        """

    /// Stores a new session.
    public func create(_ session: SigningSession) async throws {
        let state = session.lifecycle.state
        try await database.sql.raw("""
            INSERT INTO signing_sessions (\(unsafeRaw: Self.columns)) VALUES (
                \(bind: session.id), \(bind: session.organizationID), \(bind: session.checkID), \(bind: session.iin.digits),
                \(bind: session.phone.digits), \(bind: session.documentType.rawValue), \(bind: state.status.rawValue),
                \(bind: state.failureReason?.type.rawValue), \(bind: state.failureReason?.detail), \(bind: try Self.metadataText(session.metadata)),
                \(bind: session.createdAt), \(bind: session.updatedAt), \(bind: session.expiresAt))
            """).run()
    }

    /// The `metadata` column: the object as JSON text, keys sorted.
    static func metadataText(_ metadata: JSONValue?) throws -> String? {
        guard let metadata else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(metadata), as: UTF8.self)
    }

    /// The session with this id as stored, without expiry.
    public func stored(_ id: UUID) async throws -> SigningSession? {
        try await stored(where: "id", is: id)
    }

    /// The session whose `column` (`id` or `check_id`, both unique) holds `value`, as stored.
    private func stored(where column: String, is value: UUID) async throws -> SigningSession? {
        let rows = try await database.sql.raw(
            "SELECT \(unsafeRaw: Self.columns) FROM signing_sessions WHERE \(ident: column) = \(bind: value)").all()
        return try rows.first.map(Self.session)
    }

    /// A session row as the value it stores. An unreadable status reads as canceled (`OTHER`), so a
    /// damaged row can never be signed; an unreadable document type as pdf.
    static func session(_ row: any SQLRow) throws -> SigningSession {
        let status = try row.decode(column: "status", as: String.self)
        let failureType = try row.decode(column: "failure_type", as: String?.self)
        let failureDetail = try row.decode(column: "failure_detail", as: String?.self)
        let state: SessionLifecycle.State
        switch SessionStatus(rawValue: status) {
        case .started: state = .started
        case .process: state = .process
        case .finished: state = .finished
        case .canceled, nil:
            let type = failureType.flatMap(FailureReason.Kind.init(rawValue:)) ?? .other
            state = .canceled(FailureReason(type: type, detail: failureDetail ?? type.standardDetail))
        }
        let metadata = try row.decode(column: "metadata", as: String?.self)
        return SigningSession(
            id: try row.decode(column: "id", as: UUID.self),
            organizationID: try row.decode(column: "organization_id", as: UUID.self),
            checkID: try row.decode(column: "check_id", as: UUID.self),
            iin: try IIN(try row.decode(column: "iin", as: String.self)),
            phone: try PhoneNumber(try row.decode(column: "phone", as: String.self)),
            documentType: DocumentType(rawValue: try row.decode(column: "document_type", as: String.self)) ?? .pdf,
            lifecycle: SessionLifecycle(state: state, expiresAt: try row.decode(column: "expires_at", as: Date.self)),
            metadata: metadata.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) },
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    /// The session with this id as it reads at `now`, nil when there is none. Never writes: a
    /// session past its time to live reads as canceled (`EXPIRED`) whether or not the expiry job
    /// or a write has recorded that yet.
    public func find(_ id: UUID, now: Date = Date()) async throws -> SigningSession? {
        try await stored(id)?.read(at: now)
    }

    /// The session with this id as stored, for a write to it: a due expiry is recorded first (its
    /// log entry, webhook and erased secrets, once whoever comes first), so that the write starts
    /// from the state every read has shown.
    public func settled(_ id: UUID, now: Date = Date()) async throws -> SigningSession? {
        guard let session = try await stored(id) else { return nil }
        return try await settling(session, now: now).session
    }

    /// Records the expiry of the session with this id when it is due and not recorded yet.
    /// - Returns: whether this call recorded it.
    public func expireIfDue(_ id: UUID, now: Date = Date()) async throws -> Bool {
        guard let session = try await stored(id) else { return false }
        return try await settling(session, now: now).expired
    }

    private func settling(_ session: SigningSession, now: Date) async throws -> (session: SigningSession, expired: Bool) {
        var lifecycle = session.lifecycle
        guard case .changed(let from, let to) = lifecycle.expireIfDue(at: now) else { return (session, false) }
        // The session ended when its time ran out, and that is when every read has said it ended.
        if let moved = try await record(session, from: from, to: to, at: session.expiresAt) { return (moved, true) }
        guard let current = try await stored(session.id) else { throw QoltanbaError.sessionNotFound }
        return (current, false)
    }

    /// The session with this id when it belongs to `organizationID`, as it reads at `now`
    /// (`settling` for a write: see ``settled(_:now:)``).
    /// - Throws: `Session not found`, or `You don't have access to these session actions` for
    ///   another organization's session.
    public func find(_ id: UUID, ownedBy organizationID: UUID, settling: Bool = false, now: Date = Date()) async throws -> SigningSession {
        guard let session = try await stored(id) else { throw QoltanbaError.sessionNotFound }
        guard session.organizationID == organizationID else { throw QoltanbaError.sessionAccessDenied }
        return settling ? try await self.settling(session, now: now).session : session.read(at: now)
    }

    /// The session with this id when it belongs to `organizationID`, nil otherwise; as it reads now.
    public func find(_ id: UUID, visibleTo organizationID: UUID) async throws -> SigningSession? {
        guard let session = try await stored(id), session.organizationID == organizationID else { return nil }
        return session.read(at: Date())
    }

    /// The session whose copies carry this check id, as it reads now.
    public func find(checkID: UUID) async throws -> SigningSession? {
        try await stored(where: "check_id", is: checkID)?.read(at: Date())
    }

    /// Writes a transition if the stored status is still `from`. In the same transaction the event
    /// goes into the webhook outbox and the session's log, and an ended session's signing-client
    /// secrets are erased.
    /// - Returns: the session after the transition, or nil when another writer moved it first.
    @discardableResult
    public func record(
        _ session: SigningSession, from: SessionStatus, to state: SessionLifecycle.State, at now: Date
    ) async throws -> SigningSession? {
        let moved = session.moved(to: state, at: now)
        let expiry = state == .canceled(.expired)
        let recorded = try await database.transaction { transaction in
            let updated = try await transaction.sql.update(SigningSessionModel.schema)
                .set("status", to: state.status.rawValue)
                .set("failure_type", to: state.failureReason?.type.rawValue)
                .set("failure_detail", to: state.failureReason?.detail)
                .set("updated_at", to: now)
                .where("id", .equal, session.id)
                .where("status", .equal, from.rawValue)
                // Every read has shown an overdue session expired: only its expiry may end it (and the
                // expiry, dated when the time ran out, only once it has).
                .where("expires_at", expiry ? .lessThanOrEqual : .greaterThan, expiry ? Date() : now)
                .returning("id")
                .all()
            guard !updated.isEmpty else { return false }
            try await WebhookStore(database: transaction).enqueue(moved, at: now)
            try await SessionStore(database: transaction).log(.status, session: session.id, detail: state.status.rawValue, at: now)
            if state.status == .finished || state.status == .canceled {
                // An ended session keeps none of the signing client's secrets (the sealed password,
                // the camera frame, the code), however it ended.
                try await SigningFlowStore(database: transaction).eraseSecrets(of: session.id)
            }
            return true
        }
        guard recorded else { return nil }
        if state.status == .finished || state.status == .canceled {
            // `qoltanba_sessions_ended_total{status,reason}`: counted where the end is recorded, once.
            Counter(label: "qoltanba_sessions_ended_total", dimensions: [
                ("status", state.status.rawValue), ("reason", state.failureReason?.type.rawValue ?? ""),
            ]).increment()
        }
        return moved
    }

    /// Ids of active sessions whose time to live has run out and whose expiry is not recorded yet, oldest first.
    public func expiredActiveSessionIDs(now: Date, limit: Int) async throws -> [UUID] {
        try await SigningSessionModel.query(on: database)
            .filter(\.$status ~~ [SessionStatus.started.rawValue, SessionStatus.process.rawValue])
            .filter(\.$expiresAt <= now)
            .sort(\.$expiresAt).limit(limit).all(\.$id)
    }

    /// A page of the organization's sessions as they read at `now`, newest first, with the status
    /// given (as read: an overdue active session is canceled) and created in `[from, to)` when given.
    public func list(
        organizationID: UUID, status: SessionStatus?, from: Date?, to: Date?, page: Int, now: Date = Date()
    ) async throws -> ListPage<SigningSession> {
        let active = [SessionStatus.started.rawValue, SessionStatus.process.rawValue]
        let number = ListPage<SigningSession>.clamped(page)
        var query = database.sql.select().column(SQLRaw(Self.columns)).from("signing_sessions")
            .where("organization_id", .equal, organizationID)
        switch status {
        case nil:
            break
        case .started?, .process?:
            query = query.where("status", .equal, status?.rawValue ?? "").where("expires_at", .greaterThan, now)
        case .canceled?:
            query = query.where(group: { either in
                either.where("status", .equal, SessionStatus.canceled.rawValue)
                    .orWhere(group: { overdue in overdue.where("status", .in, active).where("expires_at", .lessThanOrEqual, now) })
            })
        case .finished?:
            query = query.where("status", .equal, SessionStatus.finished.rawValue)
        }
        if let from { query = query.where("created_at", .greaterThanOrEqual, from) }
        if let to { query = query.where("created_at", .lessThan, to) }
        let rows = try await query.orderBy("created_at", .descending).orderBy("id")
            .offset((number - 1) * ListPage<SigningSession>.size).limit(ListPage<SigningSession>.size + 1).all()
        return ListPage(rows: try rows.map { try Self.session($0).read(at: now) }, number: number)
    }

    // MARK: Log

    /// Adds an entry to the session's log (its timeline in the cabinet).
    public func log(_ event: SessionLogEntry.Event, session: UUID, step: String? = nil, detail: String? = nil, at date: Date) async throws {
        try await SessionLogModel(sessionID: session, at: date, event: event.rawValue, step: step, detail: detail).create(on: database)
    }

    /// The session's log, oldest first.
    public func log(of session: UUID) async throws -> [SessionLogEntry] {
        try await SessionLogModel.query(on: database).filter(\.$sessionID == session).sort(\.$at).all().map { entry in
            SessionLogEntry(at: entry.at, event: SessionLogEntry.Event(rawValue: entry.event), step: entry.step, detail: entry.detail)
        }
    }
}

/// One entry of a session's timeline: a status change, or a step of the signing client passed,
/// failed, or entered wrongly.
public struct SessionLogEntry: Sendable {
    /// What happened.
    public enum Event: String, Sendable {
        /// The session's status changed; `detail` is the new status.
        case status
        case stepPassed = "step-passed"
        case stepFailed = "step-failed"
        /// A wrong password or code; the step goes on.
        case stepWrong = "step-wrong"
    }

    public let at: Date
    /// Nil for an event this version does not know.
    public let event: Event?
    /// The signing client's step, for a step's entry.
    public let step: String?
    public let detail: String?
}
