import Fluent
import Foundation

/// A member of an organization's staff who may use the cabinet.
// @unchecked Sendable: see OrganizationModel.
final class StaffUserModel: Model, @unchecked Sendable {
    static let schema = "staff_users"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: OrganizationModel
    /// Lower-case; unique over all organizations (it is the login).
    @Field(key: "email") var email: String
    /// ``PasswordHash`` of the password.
    @Field(key: "password_hash") var passwordHash: String
    /// Set for a one-time password: nothing but changing it is allowed until then.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?

    init() {}

    init(organizationID: UUID, email: String, passwordHash: String, at now: Date) {
        self.id = UUID()
        self.$organization.id = organizationID
        self.email = email
        self.passwordHash = passwordHash
        self.mustChangePassword = true
        self.createdAt = now
    }
}

/// A logged-in browser: the hash of its cookie's token, until it logs out or expires.
// @unchecked Sendable: see OrganizationModel.
final class StaffLoginModel: Model, @unchecked Sendable {
    static let schema = "staff_logins"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: StaffUserModel
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    /// Moved on while the browser is used, never past ``CabinetAuthentication/longest`` after login.
    @Field(key: "expires_at") var expiresAt: Date
    /// A new secret for the next page to show once, sealed under the master key.
    @OptionalField(key: "flash") var flash: Data?

    init() {}

    init(userID: UUID, tokenHash: String, at now: Date, expiresAt: Date) {
        self.id = UUID()
        self.$user.id = userID
        self.tokenHash = tokenHash
        self.createdAt = now
        self.expiresAt = expiresAt
    }
}

/// A login attempt, counted per email and per client address for the rate limit: recorded before
/// the password is checked, and taken back when it was right.
// @unchecked Sendable: see OrganizationModel.
final class LoginFailureModel: Model, @unchecked Sendable {
    static let schema = "login_failures"

    @ID(key: .id) var id: UUID?
    /// `email:<hex SHA-256 of the email>` or `ip:<address>`.
    @Field(key: "key") var key: String
    @Field(key: "at") var at: Date

    init() {}

    init(key: String, at now: Date) {
        self.id = UUID()
        self.key = key
        self.at = now
    }
}

/// One entry of a session's timeline: a status change, or a step of the signing client passed,
/// failed, or entered wrongly.
// @unchecked Sendable: see OrganizationModel.
final class SessionLogModel: Model, @unchecked Sendable {
    static let schema = "session_log"

    @ID(key: .id) var id: UUID?
    @Field(key: "session_id") var sessionID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "event") var event: String
    @OptionalField(key: "step") var step: String?
    @OptionalField(key: "detail") var detail: String?

    init() {}

    init(sessionID: UUID, at now: Date, event: String, step: String? = nil, detail: String? = nil) {
        self.id = UUID()
        self.sessionID = sessionID
        self.at = now
        self.event = event
        self.step = step
        self.detail = detail
    }
}
