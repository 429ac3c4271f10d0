import Fluent
import Foundation

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

    func add(_ certificate: SignerCertificateModel) async throws {
        try await certificate.create(on: database)
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
