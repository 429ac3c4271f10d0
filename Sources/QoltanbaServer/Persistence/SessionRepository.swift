import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// Loads sessions and persists their lifecycle transitions.
///
/// Every load applies expiry first, so no read ever shows an active session past its time to
/// live. A transition is written only if the stored status is still the one it started from, so
/// two instances (or the sweeper and a request) can never both move the same session.
struct SessionRepository {
    let database: any Database

    /// The session with this id, expired first if it is due; nil when there is none.
    func find(_ id: UUID, now: Date = Date()) async throws -> SigningSessionModel? {
        guard let session = try await SigningSessionModel.find(id, on: database) else { return nil }
        var lifecycle = session.lifecycle
        if case .changed(let from, let to) = lifecycle.expireIfDue(at: now) {
            return try await record(session, from: from, to: to, at: now)
        }
        return session
    }

    /// The session with this id when it belongs to `organizationID`.
    /// - Throws: `Session not found`, or `You don't have access to these session actions` for
    ///   another organization's session.
    func find(_ id: UUID, ownedBy organizationID: UUID, now: Date = Date()) async throws -> SigningSessionModel {
        guard let session = try await find(id, now: now) else { throw QoltanbaError.sessionNotFound }
        guard session.$organization.id == organizationID else { throw QoltanbaError.sessionAccessDenied }
        return session
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
            let updated = try await (transaction as! any SQLDatabase).update(SigningSessionModel.schema)
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
            try await WebhookOutbox(database: transaction).enqueue(session, at: now)
            try await SessionLogModel(sessionID: id, at: now, event: .status, detail: state.status.rawValue).create(on: transaction)
            if state.status == .finished || state.status == .canceled {
                // An ended session keeps none of the signing client's secrets (the sealed password,
                // the camera frame, the code), however it ended.
                try await (transaction as! any SQLDatabase).update(SigningFlowModel.schema)
                    .set("activation", to: SQLLiteral.null).set("face_frame", to: SQLLiteral.null)
                    .set("code_hash", to: SQLLiteral.null)
                    .where("id", .equal, id)
                    .run()
            }
            return true
        }
        if moved { return session }
        guard let current = try await SigningSessionModel.find(id, on: database) else {
            throw QoltanbaError.sessionNotFound
        }
        return current
    }

    /// Ids of active sessions (of one organization, if given) whose time to live has run out, oldest first.
    func expiredActiveSessionIDs(now: Date, limit: Int, organizationID: UUID? = nil) async throws -> [UUID] {
        var query = SigningSessionModel.query(on: database)
            .filter(\.$status ~~ [SessionStatus.started.rawValue, SessionStatus.process.rawValue])
            .filter(\.$expiresAt <= now)
        if let organizationID { query = query.filter(\.$organization.$id == organizationID) }
        return try await query.sort(\.$expiresAt).limit(limit).all(\.$id)
    }
}
