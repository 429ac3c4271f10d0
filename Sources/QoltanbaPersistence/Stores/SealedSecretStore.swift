import Fluent
import Foundation
import SQLKit

/// Every secret sealed under the master key, for a rotation: read in pages, and each replaced
/// only while it still holds what was read (so that a secret an instance changed meanwhile, e.g.
/// a webhook secret set again, is never overwritten with an older one).
public struct SealedSecretStore: Sendable {
    let database: any Database

    /// A column that holds a sealed secret.
    public enum Column {
        case authorityKey, webhookSecret, webhookPreviousSecret, signerKey

        public var place: (table: String, column: String) {
            switch self {
            case .authorityKey: ("authority_certificates", "sealed_key")
            case .webhookSecret: ("organizations", "webhook_secret")
            case .webhookPreviousSecret: ("organizations", "webhook_previous_secret")
            case .signerKey: ("signer_certificates", "sealed_key")
            }
        }
    }

    /// How many rows a page holds.
    public static let pageSize = 500

    /// The CA's certificates with their sealed keys.
    public func authorityCertificates() async throws -> [SealedAuthorityKey] {
        try await AuthorityCertificateModel.query(on: database).sort(\.$id).all().map {
            SealedAuthorityKey(id: try $0.requireID(), role: $0.role, sealedKey: $0.sealedKey)
        }
    }

    /// The organizations with a webhook secret whose id follows `last`, in id order.
    public func organizationsWithWebhooks(after last: UUID?) async throws -> [SealedWebhookSecrets] {
        var query = OrganizationModel.query(on: database).filter(\.$webhookSecret != nil).sort(\.$id).limit(Self.pageSize)
        if let last { query = query.filter(\.$id > last) }
        return try await query.all().map {
            SealedWebhookSecrets(organization: try $0.requireID(), current: $0.webhookSecret, previous: $0.webhookPreviousSecret)
        }
    }

    /// The signer certificates whose id follows `last`, in id order.
    public func signerCertificates(after last: UUID?) async throws -> [SealedSignerKey] {
        var query = SignerCertificateModel.query(on: database).sort(\.$id).limit(Self.pageSize)
        if let last { query = query.filter(\.$id > last) }
        return try await query.all().map {
            SealedSignerKey(id: try $0.requireID(), iin: $0.iin, serial: $0.serial, sealedKey: $0.sealedKey)
        }
    }

    /// Sets the row's `column` to `new` if it still holds `old`.
    /// - Returns: whether it was replaced.
    public func replace(_ column: Column, of id: UUID, was old: some Encodable & Sendable, with new: some Encodable & Sendable) async throws -> Bool {
        let (table, name) = column.place
        let rows = try await database.sql.raw("""
            UPDATE \(ident: table) SET \(ident: name) = \(bind: new) WHERE id = \(bind: id) AND \(ident: name) = \(bind: old) RETURNING id
            """).all()
        return !rows.isEmpty
    }
}

/// A key of the authority as sealed under the master key.
public struct SealedAuthorityKey: Sendable {
    public let id: UUID
    public let role: String
    public let sealedKey: Data
}

/// An organization's webhook secrets as sealed under the master key.
public struct SealedWebhookSecrets: Sendable {
    public let organization: UUID
    public let current: Data?
    public let previous: Data?
}

/// A signer key's record as stored (JSON), whose outer layer is sealed under the master key.
public struct SealedSignerKey: Sendable {
    public let id: UUID
    public let iin: String
    public let serial: String
    public let sealedKey: String
}
