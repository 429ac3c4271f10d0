import Fluent
import Foundation
import SQLKit

/// The signing client's flows, one per session (the flow's id is its session's).
struct SigningFlowStore {
    let database: any Database

    /// The session's flow, if its signing client was opened.
    func find(_ session: UUID) async throws -> SigningFlowModel? {
        try await SigningFlowModel.find(session, on: database)
    }

    /// Stores a new flow; fails when the session already has one.
    func create(_ flow: SigningFlowModel) async throws {
        try await flow.create(on: database)
    }

    /// Writes the flow's changed fields.
    func save(_ flow: SigningFlowModel) async throws {
        try await flow.save(on: database)
    }

    /// Takes the flow for one changing request: it must still be at `version` and not held by
    /// another request until `lockedUntil`. Raises the version.
    /// - Returns: whether this call took it.
    func claim(_ session: UUID, version: Int, until lockedUntil: Date, now: Date) async throws -> Bool {
        let claimed = try await database.sql.update(SigningFlowModel.schema)
            .set("version", to: SQLBinaryExpression(SQLColumn("version"), .add, SQLBind(1)))
            .set("locked_until", to: lockedUntil)
            .where("id", .equal, session)
            .where("version", .equal, version)
            .where { $0.where("locked_until", .is, SQLLiteral.null).orWhere("locked_until", .lessThan, now) }
            .returning("id")
            .all()
        return !claimed.isEmpty
    }

    /// Lets a claimed flow go, raising the version again.
    func release(_ session: UUID) async throws {
        try await database.sql.update(SigningFlowModel.schema)
            .set("version", to: SQLBinaryExpression(SQLColumn("version"), .add, SQLBind(1)))
            .set("locked_until", to: SQLLiteral.null)
            .where("id", .equal, session)
            .run()
    }

    /// Erases the secrets a flow holds (the sealed password, the camera frame, the code).
    func eraseSecrets(of session: UUID) async throws {
        try await database.sql.update(SigningFlowModel.schema)
            .set("activation", to: SQLLiteral.null).set("face_frame", to: SQLLiteral.null)
            .set("code_hash", to: SQLLiteral.null)
            .where("id", .equal, session)
            .run()
    }

    /// The language the session's signing client was opened in, if it was.
    func language(of session: UUID) async throws -> String? {
        try await find(session)?.language
    }
}
