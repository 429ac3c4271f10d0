import Fluent
import Foundation
import SQLKit

/// The certificate authority's own certificates, signer certificates with their sealed keys, and
/// the revocation lists issued.
struct CertificateStore {
    let database: any Database

    // MARK: Authority

    /// The authority's root and issuing certificates; nil before the authority is created.
    func authority() async throws -> (root: AuthorityCertificateModel, issuing: AuthorityCertificateModel)? {
        let rows = try await AuthorityCertificateModel.query(on: database).all()
        guard let root = rows.first(where: { $0.role == "root" }), let issuing = rows.first(where: { $0.role == "issuing" })
        else { return nil }
        return (root, issuing)
    }

    /// Stores the authority's certificates together; fails when another instance stored them first.
    func createAuthority(_ certificates: [AuthorityCertificateModel]) async throws {
        try await database.transaction { transaction in
            for certificate in certificates { try await certificate.create(on: transaction) }
        }
    }

    // MARK: Signer certificates

    // `superseded_at` (migration 013) is read and written in SQL only: the model stays as the
    // migrations before it knew it (011 loads signer certificates through it).

    /// Stores a signer's new certificate as their IIN's current one, superseding the current one,
    /// which must no longer be valid at `now` (the index `signer_certificates_current` keeps one
    /// current certificate per IIN).
    /// - Returns: false, storing nothing, when the IIN has a valid current certificate: another
    ///   flow of the same signer got it meanwhile.
    func addCurrent(_ certificate: SignerCertificateModel, now: Date) async throws -> Bool {
        do {
            return try await database.transaction { transaction in
                let store = CertificateStore(database: transaction)
                let current = try await store.current(iin: certificate.iin)
                if current.contains(where: { $0.isValid(at: now) }) { return false }
                if !current.isEmpty {
                    try await transaction.sql.raw("""
                        UPDATE signer_certificates SET superseded_at = \(bind: now) WHERE id IN (\(binds: current.compactMap(\.id)))
                        """).run()
                }
                try await certificate.create(on: transaction)
                return true
            }
        } catch {
            // A concurrent flow's certificate came first (the unique index refused this one).
            if try await current(iin: certificate.iin).contains(where: { $0.isValid(at: now) }) { return false }
            throw error
        }
    }

    /// The IIN's current certificates (unrevoked, not superseded): one at most, but for a database
    /// that has not run migration 013's check.
    func current(iin: String) async throws -> [SignerCertificateModel] {
        let ids = try await database.sql.raw("""
            SELECT id FROM signer_certificates WHERE iin = \(bind: iin) AND revoked_at IS NULL AND superseded_at IS NULL
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        return ids.isEmpty ? [] : try await SignerCertificateModel.query(on: database).filter(\.$id ~~ ids).all()
    }

    /// The IIN's current certificate when it can sign at `now`.
    func usable(iin: String, at now: Date) async throws -> SignerCertificateModel? {
        try await current(iin: iin).first { $0.isValid(at: now) }
    }

    func save(_ certificate: SignerCertificateModel) async throws {
        try await certificate.save(on: database)
    }

    /// Signer certificates, newest first, optionally of one IIN.
    func certificates(iin: String?) async throws -> [SignerCertificateModel] {
        var query = SignerCertificateModel.query(on: database).sort(\.$createdAt, .descending)
        if let iin { query = query.filter(\.$iin == iin) }
        return try await query.all()
    }

    /// The newest certificate of an IIN.
    func newest(iin: String) async throws -> SignerCertificateModel? {
        try await SignerCertificateModel.query(on: database).filter(\.$iin == iin).sort(\.$createdAt, .descending).first()
    }

    /// Whether the IIN has ever had a certificate.
    func hasCertificate(iin: String) async throws -> Bool {
        try await SignerCertificateModel.query(on: database).filter(\.$iin == iin).count() > 0
    }

    func certificate(_ id: UUID) async throws -> SignerCertificateModel? {
        try await SignerCertificateModel.find(id, on: database)
    }

    /// The certificate with this serial (upper-case hex).
    func certificate(serial: String) async throws -> SignerCertificateModel? {
        try await SignerCertificateModel.query(on: database).filter(\.$serial == serial).first()
    }

    /// Every revoked certificate.
    func revoked() async throws -> [SignerCertificateModel] {
        try await SignerCertificateModel.query(on: database).filter(\.$revokedAt != nil).all()
    }

    /// When the newest revocation happened; nil when nothing is revoked.
    func newestRevocation() async throws -> Date? {
        try await SignerCertificateModel.query(on: database).filter(\.$revokedAt != nil).sort(\.$revokedAt, .descending).first()?.revokedAt
    }

    // MARK: Revocation lists

    /// The newest CRL issued.
    func latestRevocationList() async throws -> RevocationListModel? {
        try await RevocationListModel.query(on: database).sort(\.$number, .descending).first()
    }

    /// Stores a CRL; fails when one with its number exists.
    func add(_ list: RevocationListModel) async throws {
        try await list.create(on: database)
    }
}

extension SignerCertificateModel {
    /// Whether the certificate can sign at `now`: unrevoked and within its validity.
    func isValid(at now: Date) -> Bool {
        revokedAt == nil && notBefore <= now && now < notAfter
    }
}
