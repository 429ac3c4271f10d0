import Fluent
import Foundation
import QoltanbaCore
import SQLKit

/// Organizations, their settings and their API keys.
struct OrganizationStore {
    let database: any Database

    /// Creates an organization with a unique, non-empty name.
    func createOrganization(named rawName: String) async throws -> OrganizationModel {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw QoltanbaError(.operatorError, "the organization name must not be empty") }
        guard try await organization(named: name) == nil else {
            throw QoltanbaError(.operatorError, "an organization named '\(name)' already exists")
        }
        let organization = OrganizationModel(name: name)
        try await organization.create(on: database)
        return organization
    }

    /// The organization with this id.
    func organization(_ id: UUID) async throws -> OrganizationModel? {
        try await OrganizationModel.find(id, on: database)
    }

    /// The organization with this exact name.
    func organization(named name: String) async throws -> OrganizationModel? {
        try await OrganizationModel.query(on: database).filter(\.$name == name).first()
    }

    /// Writes the organization's changed fields (its webhook, its redirect origins).
    func save(_ organization: OrganizationModel) async throws {
        try await organization.save(on: database)
    }

    /// The organization with this id or, failing that, this exact name.
    func organization(idOrName: String) async throws -> OrganizationModel {
        if let id = UUID(uuidString: idOrName), let found = try await OrganizationModel.find(id, on: database) {
            return found
        }
        if let found = try await organization(named: idOrName) {
            return found
        }
        throw QoltanbaError(.operatorError, "no organization has the id or name '\(idOrName)'")
    }

    /// Sets the origins `redirect_url` may point at (see ``WebAddress/origins(_:field:)``); an empty
    /// text allows any.
    /// - Returns: the origins now allowed.
    @discardableResult
    func setRedirectOrigins(_ text: String, field: String, for organization: OrganizationModel) async throws -> [String] {
        let origins = try WebAddress.origins(text, field: field)
        organization.redirectOrigins = origins.isEmpty ? nil : origins.joined(separator: "\n")
        try await save(organization)
        return origins
    }

    /// Makes a new key for the organization; the returned secret is the only copy of it.
    func createAPIKey(for organization: OrganizationModel, label: String) async throws -> (APIKeyModel, APIKeySecret) {
        let secret = APIKeySecret.generate()
        let key = APIKeyModel(
            organizationID: try organization.requireID(), prefix: secret.prefix, secretHash: secret.hash,
            label: label.trimmingCharacters(in: .whitespacesAndNewlines))
        try await key.create(on: database)
        return (key, secret)
    }

    /// The organization's keys, newest first, revoked ones included.
    func apiKeys(of organization: OrganizationModel) async throws -> [APIKeyModel] {
        try await APIKeyModel.query(on: database)
            .filter(\.$organization.$id == organization.requireID())
            .sort(\.$createdAt, .descending)
            .all()
    }

    /// Revokes a key; revoking a revoked key changes nothing.
    /// - Returns: whether the key was active until now.
    func revokeAPIKey(id text: String) async throws -> Bool {
        guard let id = UUID(uuidString: text), let key = try await APIKeyModel.find(id, on: database) else {
            throw QoltanbaError(.operatorError, "no API key has the id '\(text)'")
        }
        guard key.revokedAt == nil else { return false }
        key.revokedAt = Date()
        try await key.save(on: database)
        return true
    }

    /// The key with this id.
    func apiKey(_ id: UUID) async throws -> APIKeyModel? {
        try await APIKeyModel.find(id, on: database)
    }

    /// What a request needs of its API key.
    struct ActiveKey: Sendable {
        let id: UUID
        let organizationID: UUID
        let prefix: String
        let lastUsedAt: Date?
    }

    /// The active (unrevoked) key with this hash. Read on every API request, so in plain SQL: one
    /// indexed row, without the model layer's reflection.
    func activeAPIKey(secretHash: String) async throws -> ActiveKey? {
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
    func markUsed(_ uses: [UUID: Date]) async throws {
        try await database.transaction { transaction in
            for (key, date) in uses {
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
