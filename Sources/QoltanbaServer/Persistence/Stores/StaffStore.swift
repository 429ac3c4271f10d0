import Fluent
import Foundation

/// The cabinet's accounts, their logins and the failed logins counted against them.
struct StaffStore {
    let database: any Database

    // MARK: Accounts

    /// The account with this (normalized) email.
    func user(email: String) async throws -> StaffUserModel? {
        try await StaffUserModel.query(on: database).filter(\.$email == email).first()
    }

    /// The organization's accounts, by email.
    func users(of organizationID: UUID) async throws -> [StaffUserModel] {
        try await StaffUserModel.query(on: database).filter(\.$organization.$id == organizationID).sort(\.$email).all()
    }

    func create(_ user: StaffUserModel) async throws {
        try await user.create(on: database)
    }

    /// Writes the account's changed fields and, in the same transaction, ends its logins (all but
    /// `kept`) and, when a prefix is given, forgets the failures counted under keys starting with it.
    func save(_ user: StaffUserModel, endingLoginsExcept kept: UUID? = nil, forgettingFailuresPrefixed prefix: String? = nil)
        async throws
    {
        try await database.transaction { transaction in
            try await user.save(on: transaction)
            var logins = StaffLoginModel.query(on: transaction).filter(\.$user.$id == (try user.requireID()))
            if let kept { logins = logins.filter(\.$id != kept) }
            try await logins.delete()
            if let prefix { try await LoginFailureModel.query(on: transaction).filter(\.$key =~ prefix).delete() }
        }
    }

    /// Deletes the account with its logins.
    func delete(_ user: StaffUserModel) async throws {
        try await database.transaction { transaction in
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user.requireID()).delete()
            try await user.delete(on: transaction)
        }
    }

    // MARK: Logins

    /// Records a successful login: the account's last login time, its new login (its expired ones
    /// removed), and the failures it takes back (`failures` by id, and every one under `failureKey`).
    func logIn(_ user: StaffUserModel, _ login: StaffLoginModel, forgetting failures: [UUID], failureKey: String, now: Date)
        async throws
    {
        try await database.transaction { transaction in
            try await user.save(on: transaction)
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user.requireID()).filter(\.$expiresAt < now).delete()
            try await login.create(on: transaction)
            try await StaffStore(database: transaction).forget(failures, key: failureKey)
        }
    }

    /// The unexpired login with this token hash, with its account.
    func login(tokenHash: String, now: Date) async throws -> StaffLoginModel? {
        try await StaffLoginModel.query(on: database).filter(\.$tokenHash == tokenHash).filter(\.$expiresAt > now).with(\.$user).first()
    }

    /// Writes a login's changed fields (its expiry, its flash message).
    func save(_ login: StaffLoginModel) async throws {
        try await login.save(on: database)
    }

    /// Ends the login with this token hash.
    func deleteLogin(tokenHash: String) async throws {
        try await StaffLoginModel.query(on: database).filter(\.$tokenHash == tokenHash).delete()
    }

    // MARK: Failed logins

    /// Records an attempt under each key and removes records older than `purgeBefore`.
    /// - Returns: the new records' ids.
    func recordAttempt(keys: [String], at now: Date, purgeBefore: Date) async throws -> [UUID] {
        let records = keys.map { LoginFailureModel(key: $0, at: now) }
        try await database.transaction { transaction in
            for record in records { try await record.create(on: transaction) }
            try await LoginFailureModel.query(on: transaction).filter(\.$at < purgeBefore).delete()
        }
        return records.compactMap(\.id)
    }

    /// The times of the records under `key` after `since`, oldest first, but those in `excluded`.
    func attemptTimes(key: String, since: Date, excluding excluded: Set<UUID> = []) async throws -> [Date] {
        try await LoginFailureModel.query(on: database).filter(\.$key == key).filter(\.$at > since).sort(\.$at).all()
            .filter { record in record.id.map { !excluded.contains($0) } ?? true }.map(\.at)
    }

    /// Takes back records by id and, when given, every record under `key`.
    func forget(_ ids: [UUID], key: String? = nil) async throws {
        if !ids.isEmpty { try await LoginFailureModel.query(on: database).filter(\.$id ~~ ids).delete() }
        if let key { try await LoginFailureModel.query(on: database).filter(\.$key == key).delete() }
    }
}

extension StaffUserModel {
    /// The organization the account belongs to.
    var organizationID: UUID { $organization.id }
}
