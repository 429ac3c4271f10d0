import Fluent
import Foundation
import SQLKit

/// The cabinet's accounts, their logins and the failed logins counted against them.
public struct StaffStore: Sendable {
    let database: any Database

    // MARK: Accounts

    private static func user(_ model: StaffUserModel) throws -> StaffUser {
        StaffUser(
            id: try model.requireID(), organizationID: model.organizationID, email: model.email, passwordHash: model.passwordHash,
            mustChangePassword: model.mustChangePassword, createdAt: model.createdAt, lastLoginAt: model.lastLoginAt)
    }

    private static func login(_ model: StaffLoginModel) throws -> StaffLogin {
        StaffLogin(
            id: try model.requireID(), userID: model.$user.id, tokenHash: model.tokenHash, createdAt: model.createdAt,
            expiresAt: model.expiresAt, flash: model.flash.map(Array.init))
    }

    /// The account with this (normalized) email.
    public func user(email: String) async throws -> StaffUser? {
        try await StaffUserModel.query(on: database).filter(\.$email == email).first().map(Self.user)
    }

    /// The organization's accounts by email.
    public func users(of organizationID: UUID) async throws -> [StaffUser] {
        try await StaffUserModel.query(on: database).filter(\.$organization.$id == organizationID).sort(\.$email).all().map(Self.user)
    }

    /// Stores a new account, which must change its one-time password at the first login.
    public func createUser(organization: UUID, email: String, passwordHash: String, at now: Date) async throws -> StaffUser {
        let user = StaffUserModel(organizationID: organization, email: email, passwordHash: passwordHash, at: now)
        try await user.create(on: database)
        return try Self.user(user)
    }

    /// Sets an account's password and ends its logins (but `kept`), in one transaction; forgets the
    /// failed logins whose key starts with `prefix`.
    public func setPassword(
        of user: UUID, hash: String, mustChange: Bool, endingLoginsExcept kept: UUID? = nil, forgettingFailuresPrefixed prefix: String? = nil
    ) async throws {
        try await database.transaction { transaction in
            try await transaction.sql.update(StaffUserModel.schema)
                .set("password_hash", to: hash).set("must_change_password", to: mustChange).where("id", .equal, user).run()
            var logins = StaffLoginModel.query(on: transaction).filter(\.$user.$id == user)
            if let kept { logins = logins.filter(\.$id != kept) }
            try await logins.delete()
            if let prefix { try await LoginFailureModel.query(on: transaction).filter(\.$key =~ prefix).delete() }
        }
    }

    /// Deletes an account and its logins.
    public func deleteUser(_ user: UUID) async throws {
        try await database.transaction { transaction in
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user).delete()
            try await StaffUserModel.query(on: transaction).filter(\.$id == user).delete()
        }
    }

    // MARK: Logins

    /// Starts a login for the account (its lapsed logins removed, the login time recorded), and
    /// forgets the failed attempts this login makes good, in one transaction.
    public func logIn(_ user: UUID, tokenHash: String, at now: Date, expiresAt: Date, forgetting failures: [UUID], failureKey: String)
        async throws
    {
        try await database.transaction { transaction in
            try await transaction.sql.update(StaffUserModel.schema).set("last_login_at", to: now).where("id", .equal, user).run()
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user).filter(\.$expiresAt < now).delete()
            try await StaffLoginModel(userID: user, tokenHash: tokenHash, at: now, expiresAt: expiresAt).create(on: transaction)
            try await StaffStore(database: transaction).forget(failures, key: failureKey)
        }
    }

    /// The unexpired login with this token hash, with its account.
    public func login(tokenHash: String, now: Date) async throws -> StaffSession? {
        guard let login = try await StaffLoginModel.query(on: database).filter(\.$tokenHash == tokenHash).filter(\.$expiresAt > now)
            .with(\.$user).first()
        else { return nil }
        return StaffSession(user: try Self.user(login.user), login: try Self.login(login))
    }

    /// Moves a login's expiry (it slides as the staff member works).
    public func extend(_ login: UUID, until expiresAt: Date) async throws {
        try await database.sql.update(StaffLoginModel.schema).set("expires_at", to: expiresAt).where("id", .equal, login).run()
    }

    /// Keeps a sealed secret on the login for the next page to show (nil: none).
    public func setFlash(of login: UUID, _ flash: [UInt8]?) async throws {
        try await database.sql.update(StaffLoginModel.schema).set("flash", to: flash.map { Data($0) }).where("id", .equal, login).run()
    }

    public func deleteLogin(tokenHash: String) async throws {
        try await StaffLoginModel.query(on: database).filter(\.$tokenHash == tokenHash).delete()
    }

    // MARK: Failed logins

    /// Records an attempt under each key and removes records older than `purgeBefore`.
    /// - Returns: the new records' ids.
    public func recordAttempt(keys: [String], at now: Date, purgeBefore: Date) async throws -> [UUID] {
        let records = keys.map { LoginFailureModel(key: $0, at: now) }
        try await database.transaction { transaction in
            for record in records { try await record.create(on: transaction) }
            try await LoginFailureModel.query(on: transaction).filter(\.$at < purgeBefore).delete()
        }
        return records.compactMap(\.id)
    }

    /// The times of the records under `key` after `since`, oldest first, but those in `excluded`.
    public func attemptTimes(key: String, since: Date, excluding excluded: Set<UUID> = []) async throws -> [Date] {
        try await LoginFailureModel.query(on: database).filter(\.$key == key).filter(\.$at > since).sort(\.$at).all()
            .filter { record in record.id.map { !excluded.contains($0) } ?? true }.map(\.at)
    }

    /// Takes back records by id and, when given, every record under `key`.
    public func forget(_ ids: [UUID], key: String? = nil) async throws {
        if !ids.isEmpty { try await LoginFailureModel.query(on: database).filter(\.$id ~~ ids).delete() }
        if let key { try await LoginFailureModel.query(on: database).filter(\.$key == key).delete() }
    }
}

extension StaffUserModel {
    /// The organization the account belongs to.
    var organizationID: UUID { $organization.id }
}

/// A staff member's cabinet account as stored.
public struct StaffUser: Sendable {
    public let id: UUID
    public let organizationID: UUID
    /// Normalized (lower case): the login.
    public let email: String
    /// The password's hash (``PasswordHash``), never the password.
    public let passwordHash: String
    /// True until a one-time password is replaced.
    public let mustChangePassword: Bool
    public let createdAt: Date
    public let lastLoginAt: Date?
}

/// A login of a staff account in one browser (whose cookie is the token this hashes).
public struct StaffLogin: Sendable {
    public let id: UUID
    public let userID: UUID
    public let tokenHash: String
    public let createdAt: Date
    public let expiresAt: Date
    /// A one-time secret sealed for the next page of its kind.
    public let flash: [UInt8]?
}

/// A login with its account.
public struct StaffSession: Sendable {
    public let user: StaffUser
    public let login: StaffLogin
}
