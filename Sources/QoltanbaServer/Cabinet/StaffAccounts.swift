import Crypto
import Foundation
import NIOPosix
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// The cabinet's accounts: made by the operator with a one-time password, logged in with a slow
/// password hash and a rate limit, and held by a browser through a cookie whose hash is stored.
struct StaffAccounts {
    let store: StaffStore
    /// Where the slow hashes run, off the threads that serve requests.
    let threadPool: NIOThreadPool

    /// The span over which failed logins are counted.
    static let window: TimeInterval = 15 * 60
    /// Failed logins of one account from one client address that are free; after them each next
    /// attempt from there waits twice as long as the one before (5 s, 10 s, 20 s … up to the
    /// window). Counting the pair, not the account, means a stranger elsewhere cannot lock its
    /// owner out.
    static let freeFailuresPerPair = 3
    /// The first wait after the free failures.
    static let firstDelay: TimeInterval = 5
    /// Failed logins from one client address within the window (many emails tried from one place)
    /// after which it is refused until the oldest leaves the window.
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
              email.utf8.count <= 254, !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.isControl })
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
    func create(organization: Organization, email text: String, now: Date = Date()) async throws -> NewPassword {
        let email = try Self.normalized(email: text)
        guard try await store.user(email: email) == nil else {
            throw QoltanbaError(.operatorError, "an account with the email \(email) already exists")
        }
        let password = Self.oneTimePassword()
        let user = try await store.createUser(organization: organization.id, email: email, passwordHash: try await hash(password), at: now)
        return NewPassword(user: user, password: password)
    }

    /// The account with this email; an operator error when there is none.
    private func account(email text: String) async throws -> StaffUser {
        let email = try Self.normalized(email: text)
        guard let user = try await store.user(email: email) else {
            throw QoltanbaError(.operatorError, "no account has the email \(email)")
        }
        return user
    }

    /// Gives the account a new one-time password and ends its logins.
    func resetPassword(email text: String) async throws -> NewPassword {
        let user = try await account(email: text)
        let password = Self.oneTimePassword()
        try await store.setPassword(
            of: user.id, hash: try await hash(password), mustChange: true, forgettingFailuresPrefixed: Self.pairKeyPrefix(email: user.email))
        return NewPassword(user: user, password: password)
    }

    /// Deletes the account with its logins.
    func delete(email text: String) async throws -> StaffUser {
        let user = try await account(email: text)
        try await store.deleteUser(user.id)
        return user
    }

    // MARK: Logging in

    enum LoginResult {
        /// Logged in: the browser's new token, for the cookie.
        case loggedIn(StaffUser, BrowserToken)
        case wrong
        /// Too many failures for this email from this address, or from this address, lately; nothing
        /// was checked. The seconds until the next attempt may be made.
        case throttled(retryAfter: Int)
    }

    /// Checks `password` for `email` unless either has failed too often within the window. An
    /// unknown email takes as long as a wrong password and counts the same.
    func logIn(email text: String, password: String, address: String, now: Date = Date()) async throws -> LoginResult {
        let email = try? Self.normalized(email: text)
        let pairKey = Self.pairKey(email: email ?? text, address: address)
        let attempts: [UUID]
        switch try await attempt(pair: pairKey, address: "ip:\(address)", now: now) {
        case .failure(let wait): return .throttled(retryAfter: wait.seconds)
        case .success(let records): attempts = records
        }
        var user: StaffUser?
        if let email { user = try await store.user(email: email) }
        guard try await verify(password, user?.passwordHash), let user else { return .wrong }
        let token = BrowserToken()
        try await store.logIn(
            user.id, tokenHash: token.hash, at: now, expiresAt: now.addingTimeInterval(Self.idle), forgetting: attempts, failureKey: pairKey)
        return .loggedIn(user, token)
    }

    /// The key failures of an email from an address are counted under: hashes, so that any text a
    /// form sends fits; the email's part first, so that a password reset can clear them all.
    static func pairKey(email: String, address: String) -> String {
        pairKeyPrefix(email: email) + SHA256.hash(data: Data(address.utf8)).hexString
    }

    /// The start of every pair key of an email.
    static func pairKeyPrefix(email: String) -> String {
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return "pair:" + SHA256.hash(data: Data(email.utf8)).hexString + ":"
    }

    /// How long a throttled client must wait.
    struct Wait: Error {
        let seconds: Int
    }

    /// Records an attempt under the pair's and the address's keys before anything is checked (so
    /// that parallel attempts are all counted), then looks at the window: the pair's attempts
    /// beyond the free ones must each wait twice as long after the previous one, and the address
    /// may make ``failuresPerAddress``. Throttled, the records are taken back and the wait is
    /// returned. A right password takes its records back, with the pair's earlier failures.
    private func attempt(pair: String, address: String, now: Date) async throws -> Result<[UUID], Wait> {
        let since = now.addingTimeInterval(-Self.window)
        let records = try await store.recordAttempt(keys: [pair, address], at: now, purgeBefore: since)
        let pairTimes = try await store.attemptTimes(key: pair, since: since, excluding: Set(records))
        var wait: TimeInterval = 0
        if pairTimes.count >= Self.freeFailuresPerPair, let last = pairTimes.last {
            let delay = min(Self.firstDelay * pow(2, Double(min(pairTimes.count - Self.freeFailuresPerPair, 20))), Self.window)
            wait = last.addingTimeInterval(delay).timeIntervalSince(now)
        }
        let addressTimes = try await store.attemptTimes(key: address, since: since)
        if addressTimes.count > Self.failuresPerAddress, let oldest = addressTimes.first {
            wait = max(wait, oldest.addingTimeInterval(Self.window).timeIntervalSince(now))
        }
        // Half a second of slack: stored times may lose their fractions.
        guard wait < 0.5 else {
            try await store.forget(records)
            return .failure(Wait(seconds: max(1, Int(wait.rounded(.up)))))
        }
        return .success(records)
    }

    /// scrypt off the request threads; the decoy hash for an account that does not exist.
    private func verify(_ password: String, _ stored: String?) async throws -> Bool {
        let stored = stored ?? PasswordHash.decoy
        return try await threadPool.runIfActive { PasswordHash.verify(password, against: stored) }
    }

    private func hash(_ password: String) async throws -> String {
        try await threadPool.runIfActive { try PasswordHash.make(password) }
    }

    /// The account a browser's cookie is logged in as, its login moved on; nil when logged out or expired.
    func staff(cookie: String?, now: Date = Date()) async throws -> StaffSession? {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)),
              let login = try await store.login(tokenHash: token.hash, now: now)
        else { return nil }
        let expires = min(now.addingTimeInterval(Self.idle), login.login.createdAt.addingTimeInterval(Self.longest))
        if expires.timeIntervalSince(login.login.expiresAt) > 60 {
            try await store.extend(login.login.id, until: expires)
        }
        return login
    }

    /// Ends the login a cookie holds.
    func logOut(cookie: String?) async throws {
        guard let token = cookie.flatMap(BrowserToken.init(cookie:)) else { return }
        try await store.deleteLogin(tokenHash: token.hash)
    }

    // MARK: Passwords

    enum PasswordChange {
        case changed
        case wrongCurrent
        case tooShort
        case tooLong
        case mismatch
        case unchanged
        /// Too many wrong current passwords lately: counted with the failed logins of the account
        /// from this address. The seconds until the next attempt may be made.
        case throttled(retryAfter: Int)
    }

    /// The most bytes a password may have.
    static let maximumPasswordBytes = 256

    /// Sets a new password when `current` is right; the account's other logins end. Wrong current
    /// passwords count as failed logins of the account from `address`.
    func changePassword(
        _ user: StaffUser, keeping login: StaffLogin, current: String, new password: String, confirmation: String,
        address: String, now: Date = Date()
    ) async throws -> PasswordChange {
        let pairKey = Self.pairKey(email: user.email, address: address)
        let attempts: [UUID]
        switch try await attempt(pair: pairKey, address: "ip:\(address)", now: now) {
        case .failure(let wait): return .throttled(retryAfter: wait.seconds)
        case .success(let records): attempts = records
        }
        guard try await verify(current, user.passwordHash) else { return .wrongCurrent }
        try await store.forget(attempts, key: pairKey)
        guard password.count >= Self.minimumPasswordLength else { return .tooShort }
        guard password.utf8.count <= Self.maximumPasswordBytes else { return .tooLong }
        guard password == confirmation else { return .mismatch }
        guard password != current else { return .unchanged }
        try await store.setPassword(of: user.id, hash: try await hash(password), mustChange: false, endingLoginsExcept: login.id)
        return .changed
    }
}

/// An account with the one-time password it was just given, shown this once.
struct NewPassword {
    let user: StaffUser
    let password: String
}

extension Unicode.Scalar {
    /// A C0 control character or DEL: never part of an email, a URL or a label.
    var isControl: Bool { value < 0x20 || value == 0x7F }
}

extension Request {
    /// The cabinet's accounts, on this request's database connection.
    var staffAccounts: StaffAccounts { StaffAccounts(store: stores.staff, threadPool: application.threadPool) }
}

extension Application {
    /// The cabinet's accounts, for the operator's commands.
    var staffAccounts: StaffAccounts { StaffAccounts(store: stores.staff, threadPool: threadPool) }
}
