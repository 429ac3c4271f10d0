import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI

/// The cabinet's accounts: made by the operator with a one-time password, logged in with a slow
/// password hash and a rate limit, and held by a browser through a cookie whose hash is stored.
struct StaffAccounts {
    let database: any Database

    /// The span over which failed logins are counted.
    static let window: TimeInterval = 15 * 60
    /// Failed logins for one email within the window after which it is refused until the window passes.
    static let failuresPerEmail = 5
    /// The same for one client address (many emails tried from one place).
    static let failuresPerAddress = 50
    /// A login ends after this long unused…
    static let idle: TimeInterval = 30 * 60
    /// …and this long after it began, however it is used.
    static let longest: TimeInterval = 12 * 3600
    static let minimumPasswordLength = 10

    /// The email as stored: trimmed and lower-case; an operator error when it is not an address.
    static func normalized(email text: String) throws -> String {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.count <= 254, !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw QoltanbaError(.operatorError, "'\(text)' is not an email address")
        }
        return email
    }

    /// 16 letters and digits that cannot be mistaken for each other (about 90 bits).
    static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXYZ2345679")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }

    /// Makes an account for the organization's staff; returns it with its one-time password, the
    /// only copy of which the operator hands over.
    func create(organization: OrganizationModel, email text: String, now: Date = Date()) async throws -> (StaffUserModel, String) {
        let email = try Self.normalized(email: text)
        guard try await StaffUserModel.query(on: database).filter(\.$email == email).first() == nil else {
            throw QoltanbaError(.operatorError, "an account with the email \(email) already exists")
        }
        let password = Self.oneTimePassword()
        let user = StaffUserModel(
            organizationID: try organization.requireID(), email: email, passwordHash: try PasswordHash.make(password), at: now)
        try await user.create(on: database)
        return (user, password)
    }

    /// Gives the account a new one-time password and ends its logins.
    func resetPassword(email text: String) async throws -> (StaffUserModel, String) {
        let email = try Self.normalized(email: text)
        guard let user = try await StaffUserModel.query(on: database).filter(\.$email == email).first() else {
            throw QoltanbaError(.operatorError, "no account has the email \(email)")
        }
        let password = Self.oneTimePassword()
        user.passwordHash = try PasswordHash.make(password)
        user.mustChangePassword = true
        try await database.transaction { transaction in
            try await user.save(on: transaction)
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user.requireID()).delete()
        }
        return (user, password)
    }

    // MARK: Logging in

    enum LoginResult {
        /// Logged in: the browser's new token, for the cookie.
        case loggedIn(StaffUserModel, BrowserToken)
        case wrong
        /// Too many failures for this email or address lately; nothing was checked.
        case throttled
    }

    /// Checks `password` for `email` unless either has failed too often within the window. An
    /// unknown email takes as long as a wrong password and counts the same.
    func logIn(email text: String, password: String, address: String, now: Date = Date()) async throws -> LoginResult {
        let email = (try? Self.normalized(email: text)) ?? text.lowercased()
        let keys = ["email:\(email)", "ip:\(address)"]
        let since = now.addingTimeInterval(-Self.window)
        let emailFailures = try await LoginFailureModel.query(on: database).filter(\.$key == keys[0]).filter(\.$at > since).count()
        let addressFailures = try await LoginFailureModel.query(on: database).filter(\.$key == keys[1]).filter(\.$at > since).count()
        guard emailFailures < Self.failuresPerEmail, addressFailures < Self.failuresPerAddress else { return .throttled }

        let user = try await StaffUserModel.query(on: database).filter(\.$email == email).first()
        guard PasswordHash.verify(password, against: user?.passwordHash ?? PasswordHash.decoy), let user else {
            try await database.transaction { transaction in
                for key in keys { try await LoginFailureModel(key: key, at: now).create(on: transaction) }
                try await LoginFailureModel.query(on: transaction).filter(\.$at < since).delete()
            }
            return .wrong
        }
        let token = BrowserToken()
        user.lastLoginAt = now
        try await database.transaction { transaction in
            try await user.save(on: transaction)
            try await StaffLoginModel(userID: try user.requireID(), tokenHash: token.hash, at: now, expiresAt: now.addingTimeInterval(Self.idle))
                .create(on: transaction)
            try await LoginFailureModel.query(on: transaction).filter(\.$key == keys[0]).delete()
        }
        return .loggedIn(user, token)
    }

    /// The account a browser's cookie is logged in as, its login moved on; nil when logged out or expired.
    func staff(cookie: String?, now: Date = Date()) async throws -> (StaffUserModel, StaffLoginModel)? {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)),
              let login = try await StaffLoginModel.query(on: database).filter(\.$tokenHash == token.hash)
                  .filter(\.$expiresAt > now).with(\.$user).first()
        else { return nil }
        let expires = min(now.addingTimeInterval(Self.idle), login.createdAt.addingTimeInterval(Self.longest))
        if expires.timeIntervalSince(login.expiresAt) > 60 {
            login.expiresAt = expires
            try await login.save(on: database)
        }
        return (login.user, login)
    }

    /// Ends the login a cookie holds.
    func logOut(cookie: String?) async throws {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)) else { return }
        try await StaffLoginModel.query(on: database).filter(\.$tokenHash == token.hash).delete()
    }

    // MARK: Passwords

    enum PasswordChange: String {
        case changed
        case wrongCurrent = "wrong-current"
        case tooShort = "too-short"
        case mismatch
        case unchanged
    }

    /// Sets a new password when `current` is right; the account's other logins end.
    func changePassword(
        _ user: StaffUserModel, keeping login: StaffLoginModel, current: String, new password: String, confirmation: String
    ) async throws -> PasswordChange {
        guard PasswordHash.verify(current, against: user.passwordHash) else { return .wrongCurrent }
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= 256 else { return .tooShort }
        guard password == confirmation else { return .mismatch }
        guard password != current else { return .unchanged }
        user.passwordHash = try PasswordHash.make(password)
        user.mustChangePassword = false
        try await database.transaction { transaction in
            try await user.save(on: transaction)
            try await StaffLoginModel.query(on: transaction).filter(\.$user.$id == user.requireID())
                .filter(\.$id != login.requireID()).delete()
        }
        return .changed
    }
}
