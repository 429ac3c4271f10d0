import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// The signing client's flows, one per session (the flow's id is its session's).
public struct SigningFlowStore: Sendable {
    let database: any Database

    /// The session's flow, if its signing client was opened.
    public func find(_ session: UUID) async throws -> SigningClientFlow? {
        try await SigningFlowModel.find(session, on: database).map(Self.flow)
    }

    /// A row as the value it stores. An unreadable step reads as failed (`refresh`).
    private static func flow(_ model: SigningFlowModel) throws -> SigningClientFlow {
        let step = SigningFlow.Step(rawValue: model.step)
        return SigningClientFlow(
            sessionID: try model.requireID(), browserHash: model.browserHash, redirectURL: model.redirectURL,
            language: model.language, theme: model.theme,
            flow: SigningFlow(
                step: step ?? .failed, returning: model.returning, passwordAttempts: model.passwordAttempts,
                codeAttempts: model.codeAttempts, codesSent: model.codesSent,
                failure: model.failure.flatMap(ClientFailure.init(rawValue:)) ?? (step == nil ? .refresh : nil)),
            pendingCode: model.codeHash.flatMap { hash in model.codeExpiresAt.map { PendingCode(hash: hash, expiresAt: $0) } },
            activation: model.activation.map(Array.init), faceFrame: model.faceFrame.map(Array.init),
            certificateID: model.certificateID, certificateEvent: model.certificateEvent, version: model.version,
            createdAt: model.createdAt, updatedAt: model.updatedAt)
    }

    /// Stores a new flow; fails when the session already has one.
    public func create(_ flow: SigningClientFlow) async throws {
        let model = SigningFlowModel()
        model.id = flow.sessionID
        model.browserHash = flow.browserHash
        model.redirectURL = flow.redirectURL
        model.language = flow.language
        model.theme = flow.theme
        model.version = flow.version
        model.createdAt = flow.createdAt
        Self.copy(flow, to: model)
        try await model.create(on: database)
    }

    /// Writes what a step may change (never the version: claims and releases raise it), in one
    /// statement: the model is not loaded first, so only the fields ``copy(_:to:)`` sets are written.
    public func save(_ flow: SigningClientFlow) async throws {
        let model = SigningFlowModel()
        model.id = flow.sessionID
        model.$id.exists = true
        Self.copy(flow, to: model)
        try await model.update(on: database)
    }

    private static func copy(_ flow: SigningClientFlow, to model: SigningFlowModel) {
        model.step = flow.flow.step.rawValue
        model.returning = flow.flow.returning
        model.passwordAttempts = flow.flow.passwordAttempts
        model.codeAttempts = flow.flow.codeAttempts
        model.codesSent = flow.flow.codesSent
        model.failure = flow.flow.failure?.rawValue
        model.codeHash = flow.pendingCode?.hash
        model.codeExpiresAt = flow.pendingCode?.expiresAt
        model.activation = flow.activation.map { Data($0) }
        model.faceFrame = flow.faceFrame.map { Data($0) }
        model.certificateID = flow.certificateID
        model.certificateEvent = flow.certificateEvent
        model.updatedAt = flow.updatedAt
    }

    /// Takes the flow for one changing request: it must still be at `version` and not held by
    /// another request until `lockedUntil`. Raises the version.
    /// - Returns: whether this call took it.
    public func claim(_ session: UUID, version: Int, until lockedUntil: Date, now: Date) async throws -> Bool {
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
    public func release(_ session: UUID) async throws {
        try await database.sql.update(SigningFlowModel.schema)
            .set("version", to: SQLBinaryExpression(SQLColumn("version"), .add, SQLBind(1)))
            .set("locked_until", to: SQLLiteral.null)
            .where("id", .equal, session)
            .run()
    }

    /// Erases the secrets a flow holds (the sealed password, the camera frame, the code).
    public func eraseSecrets(of session: UUID) async throws {
        try await database.sql.update(SigningFlowModel.schema)
            .set("activation", to: SQLLiteral.null).set("face_frame", to: SQLLiteral.null)
            .set("code_hash", to: SQLLiteral.null)
            .where("id", .equal, session)
            .run()
    }

    /// The language the session's signing client was opened in, if it was.
    public func language(of session: UUID) async throws -> String? {
        try await find(session)?.language
    }
}
