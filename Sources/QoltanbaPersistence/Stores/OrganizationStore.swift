import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// Organizations, their settings and their API keys.
public struct OrganizationStore: Sendable {
    let database: any Database

    private static func organization(_ model: OrganizationModel) throws -> Organization {
        Organization(
            id: try model.requireID(), name: model.name, createdAt: model.createdAt, webhookURL: model.webhookURL,
            webhookSecret: model.webhookSecret.map(Array.init), webhookPreviousSecret: model.webhookPreviousSecret.map(Array.init),
            webhookPreviousUntil: model.webhookPreviousUntil,
            redirectOrigins: (model.redirectOrigins ?? "").split(separator: "\n").map(String.init))
    }

    private static func apiKey(_ model: APIKeyModel) throws -> APIKey {
        APIKey(
            id: try model.requireID(), organizationID: model.organizationID, prefix: model.prefix, label: model.label,
            createdAt: model.createdAt, lastUsedAt: model.lastUsedAt, revokedAt: model.revokedAt)
    }

    /// Creates an organization with a unique, non-empty name.
    public func createOrganization(named rawName: String) async throws -> Organization {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw QoltanbaError(.operatorError, "the organization name must not be empty") }
        guard try await organization(named: name) == nil else {
            throw QoltanbaError(.operatorError, "an organization named '\(name)' already exists")
        }
        let organization = OrganizationModel(name: name)
        try await organization.create(on: database)
        return try Self.organization(organization)
    }

    /// The organization with this id.
    public func organization(_ id: UUID) async throws -> Organization? {
        try await OrganizationModel.find(id, on: database).map(Self.organization)
    }

    /// The organization with this exact name.
    public func organization(named name: String) async throws -> Organization? {
        try await OrganizationModel.query(on: database).filter(\.$name == name).first().map(Self.organization)
    }

    /// The organization with this id or, failing that, this exact name.
    public func organization(idOrName: String) async throws -> Organization {
        if let id = UUID(uuidString: idOrName), let found = try await organization(id) {
            return found
        }
        if let found = try await organization(named: idOrName) {
            return found
        }
        throw QoltanbaError(.operatorError, "no organization has the id or name '\(idOrName)'")
    }

    /// Sets the organization's webhook: its URL and sealed secret, and the secret it replaces with
    /// the time until which that one still signs.
    public func setWebhook(of organization: UUID, url: String, secret: [UInt8], previous: [UInt8]?, previousUntil: Date?) async throws {
        try await database.sql.update(OrganizationModel.schema)
            .set("webhook_url", to: url).set("webhook_secret", to: Data(secret))
            .set("webhook_previous_secret", to: previous.map { Data($0) }).set("webhook_previous_until", to: previousUntil)
            .where("id", .equal, organization)
            .run()
    }

    /// Sets the origins `redirect_url` may point at (see ``WebAddress/origins(_:field:)``); an empty
    /// text allows any.
    /// - Returns: the origins now allowed.
    @discardableResult
    public func setRedirectOrigins(_ text: String, field: String, for organization: UUID) async throws -> [String] {
        let origins = try WebAddress.origins(text, field: field)
        try await database.sql.update(OrganizationModel.schema)
            .set("redirect_origins", to: origins.isEmpty ? nil : origins.joined(separator: "\n"))
            .where("id", .equal, organization)
            .run()
        return origins
    }

    /// Makes a new key for the organization; the returned secret is the only copy of it.
    public func createAPIKey(for organization: UUID, label: String) async throws -> CreatedAPIKey {
        let secret = APIKeySecret.generate()
        let key = APIKeyModel(
            organizationID: organization, prefix: secret.prefix, secretHash: secret.hash,
            label: label.trimmingCharacters(in: .whitespacesAndNewlines))
        try await key.create(on: database)
        return CreatedAPIKey(key: try Self.apiKey(key), secret: secret)
    }

    /// The organization's keys, newest first, revoked ones included.
    public func apiKeys(of organization: UUID) async throws -> [APIKey] {
        try await APIKeyModel.query(on: database)
            .filter(\.$organization.$id == organization)
            .sort(\.$createdAt, .descending)
            .all().map(Self.apiKey)
    }

    /// Revokes a key; revoking a revoked key changes nothing.
    /// - Returns: whether the key was active until now.
    public func revokeAPIKey(id text: String) async throws -> Bool {
        guard let id = UUID(uuidString: text), try await apiKey(id) != nil else {
            throw QoltanbaError(.operatorError, "no API key has the id '\(text)'")
        }
        return try await !database.sql.raw("""
            UPDATE api_keys SET revoked_at = \(bind: Date()) WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id
            """).all().isEmpty
    }

    /// The key with this id.
    public func apiKey(_ id: UUID) async throws -> APIKey? {
        try await APIKeyModel.find(id, on: database).map(Self.apiKey)
    }

    /// What a request needs of its API key.
    public struct ActiveKey: Sendable {
        public let id: UUID
        public let organizationID: UUID
        public let prefix: String
        public let lastUsedAt: Date?

        public init(id: UUID, organizationID: UUID, prefix: String, lastUsedAt: Date?) {
            self.id = id
            self.organizationID = organizationID
            self.prefix = prefix
            self.lastUsedAt = lastUsedAt
        }
    }

    /// The active (unrevoked) key with this hash. Read on every API request, so in plain SQL: one
    /// indexed row, without the model layer's reflection.
    public func activeAPIKey(secretHash: String) async throws -> ActiveKey? {
        let rows = try await database.sql.raw("""
            SELECT id, organization_id, prefix, last_used_at FROM api_keys
            WHERE secret_hash = \(bind: secretHash) AND revoked_at IS NULL
            """).all()
        guard let row = rows.first else { return nil }
        return ActiveKey(
            id: try row.decode(column: "id", as: UUID.self), organizationID: try row.decode(column: "organization_id", as: UUID.self),
            prefix: try row.decode(column: "prefix", as: String.self), lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self))
    }

    /// Records when keys were last used, in one transaction; a later use already recorded stays.
    public func markUsed(_ uses: [UUID: Date]) async throws {
        try await database.transaction { transaction in
            // In one order everywhere, so that two instances' rounds never wait for each other's rows.
            for (key, date) in uses.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
                try await transaction.sql.raw("""
                    UPDATE api_keys SET last_used_at = \(bind: date)
                    WHERE id = \(bind: key) AND (last_used_at IS NULL OR last_used_at < \(bind: date))
                    """).run()
            }
        }
    }
}

extension APIKeyModel {
    /// The organization the key belongs to.
    var organizationID: UUID { $organization.id }
}

/// An organization as stored: its name, its webhook and the origins `redirect_url` may point at.
public struct Organization: Sendable {
    public let id: UUID
    public let name: String
    public let createdAt: Date?
    public let webhookURL: String?
    /// The webhook secret, sealed under the master key.
    public let webhookSecret: [UInt8]?
    /// The secret it replaced, sealed, which still signs until `webhookPreviousUntil`.
    public let webhookPreviousSecret: [UInt8]?
    public let webhookPreviousUntil: Date?
    /// Empty: any origin.
    public let redirectOrigins: [String]

    /// Whether `redirect_url` may point at `url`.
    public func allowsRedirect(to url: String) -> Bool {
        redirectOrigins.isEmpty || WebAddress.origin(of: url).map(redirectOrigins.contains) == true
    }
}

/// An API key as stored (its secret only as a hash, which is never read back).
public struct APIKey: Sendable {
    public let id: UUID
    public let organizationID: UUID
    /// The first characters of the secret, to tell keys apart.
    public let prefix: String
    public let label: String
    public let createdAt: Date?
    public let lastUsedAt: Date?
    public let revokedAt: Date?
}

/// A new API key with its secret, shown this once.
public struct CreatedAPIKey: Sendable {
    public let key: APIKey
    public let secret: APIKeySecret
}
