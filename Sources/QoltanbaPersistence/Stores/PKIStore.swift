import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
import SQLKit

/// The certificate authority's own certificates, signer certificates with their sealed keys, and
/// the revocation lists issued.
public struct PKIStore: Sendable {
    let database: any Database

    // MARK: Authority

    /// The authority's root and issuing certificates; nil before the authority is created.
    public func authority() async throws -> AuthorityRecords? {
        let rows = try await AuthorityCertificateModel.query(on: database).all()
        guard let root = rows.first(where: { $0.role == "root" }), let issuing = rows.first(where: { $0.role == "issuing" })
        else { return nil }
        return AuthorityRecords(root: Self.authority(root), issuing: Self.authority(issuing))
    }

    private static func authority(_ model: AuthorityCertificateModel) -> AuthorityRecord {
        AuthorityRecord(role: model.role, der: Array(model.certificate), sealedKey: Array(model.sealedKey))
    }

    /// Stores the authority's certificates together; fails when another instance stored them first.
    public func createAuthority(_ certificates: [AuthorityRecord]) async throws {
        try await database.transaction { transaction in
            for certificate in certificates {
                try await AuthorityCertificateModel(
                    role: certificate.role, certificate: Data(certificate.der), sealedKey: Data(certificate.sealedKey)
                ).create(on: transaction)
            }
        }
    }

    // MARK: Signer certificates

    // `superseded_at` (migration 013) is read and written in SQL only: the model stays as the
    // migrations before it knew it (011 loads signer certificates through it).

    /// A row as the value it stores, its sealed key's JSON parsed.
    private static func certificate(_ model: SignerCertificateModel) throws -> SignerCertificateRecord {
        SignerCertificateRecord(
            id: try model.requireID(), iin: try IIN(model.iin), serial: model.serial, der: Array(model.certificate),
            algorithm: model.algorithm,
            sealedKey: try JSONDecoder().decode(SealedSigningKey.self, from: Data(model.sealedKey.utf8)),
            notBefore: model.notBefore, notAfter: model.notAfter, createdAt: model.createdAt,
            revokedAt: model.revokedAt, revocationReason: model.revocationReason)
    }

    /// Stores a signer's new certificate as their IIN's current one, superseding the current one,
    /// which must no longer be valid at `now` (the index `signer_certificates_current` keeps one
    /// current certificate per IIN).
    /// - Returns: false, storing nothing, when the IIN has a valid current certificate: another
    ///   flow of the same signer got it meanwhile.
    public func addCurrent(_ certificate: SignerCertificateRecord, now issued: Date) async throws -> Bool {
        // Whether the current one is still valid is judged now, however long the issuance took.
        let now = max(issued, Date())
        let model = SignerCertificateModel()
        model.id = certificate.id
        model.iin = certificate.iin.digits
        model.serial = certificate.serial
        model.certificate = Data(certificate.der)
        model.algorithm = certificate.algorithm
        model.sealedKey = String(decoding: try JSONEncoder().encode(certificate.sealedKey), as: UTF8.self)
        model.notBefore = certificate.notBefore
        model.notAfter = certificate.notAfter
        do {
            return try await database.transaction { transaction in
                let current = try await PKIStore(database: transaction).current(iin: certificate.iin)
                if current.contains(where: { $0.isValid(at: now) }) { return false }
                if !current.isEmpty {
                    try await transaction.sql.raw("""
                        UPDATE signer_certificates SET superseded_at = \(bind: now) WHERE id IN (\(binds: current.map(\.id)))
                        """).run()
                }
                try await model.create(on: transaction)
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
    public func current(iin: IIN) async throws -> [SignerCertificateRecord] {
        let ids = try await database.sql.raw("""
            SELECT id FROM signer_certificates WHERE iin = \(bind: iin.digits) AND revoked_at IS NULL AND superseded_at IS NULL
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        return ids.isEmpty ? [] : try await SignerCertificateModel.query(on: database).filter(\.$id ~~ ids).all().map(Self.certificate)
    }

    /// The IIN's current certificate when it can sign at `now`.
    public func usable(iin: IIN, at now: Date) async throws -> SignerCertificateRecord? {
        try await current(iin: iin).first { $0.isValid(at: now) }
    }

    /// Signer certificates, newest first, optionally of one IIN.
    public func certificates(iin: IIN?) async throws -> [SignerCertificateRecord] {
        var query = SignerCertificateModel.query(on: database).sort(\.$createdAt, .descending)
        if let iin { query = query.filter(\.$iin == iin.digits) }
        return try await query.all().map(Self.certificate)
    }

    /// The newest certificate of an IIN.
    public func newest(iin: IIN) async throws -> SignerCertificateRecord? {
        try await SignerCertificateModel.query(on: database).filter(\.$iin == iin.digits).sort(\.$createdAt, .descending).first()
            .map(Self.certificate)
    }

    /// Whether the IIN has ever had a certificate.
    public func hasCertificate(iin: IIN) async throws -> Bool {
        try await SignerCertificateModel.query(on: database).filter(\.$iin == iin.digits).count() > 0
    }

    public func certificate(_ id: UUID) async throws -> SignerCertificateRecord? {
        try await SignerCertificateModel.find(id, on: database).map(Self.certificate)
    }

    /// The certificate with this serial (upper-case hex).
    public func certificate(serial: String) async throws -> SignerCertificateRecord? {
        try await SignerCertificateModel.query(on: database).filter(\.$serial == serial).first().map(Self.certificate)
    }

    /// Revokes the certificate unless it already is.
    /// - Returns: whether this call revoked it.
    public func revoke(_ id: UUID, reason: Int, at date: Date) async throws -> Bool {
        try await !database.sql.raw("""
            UPDATE signer_certificates SET revoked_at = \(bind: date), revocation_reason = \(bind: reason)
            WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id
            """).all().isEmpty
    }

    /// Every revoked certificate.
    /// Every revocation: what a CRL and verification need, and no more (a damaged key record of a
    /// revoked certificate never stops either).
    public func revoked() async throws -> [Revocation] {
        try await SignerCertificateModel.query(on: database).filter(\.$revokedAt != nil).all().map { model in
            Revocation(serial: model.serial, revokedAt: model.revokedAt ?? .distantPast, reason: model.revocationReason)
        }
    }

    /// When the newest revocation happened; nil when nothing is revoked.
    public func newestRevocation() async throws -> Date? {
        try await SignerCertificateModel.query(on: database).filter(\.$revokedAt != nil).sort(\.$revokedAt, .descending).first()?.revokedAt
    }

    // MARK: Revocation lists

    /// The newest CRL issued.
    public func latestRevocationList() async throws -> RevocationListRecord? {
        try await RevocationListModel.query(on: database).sort(\.$number, .descending).first().map { list in
            RevocationListRecord(number: list.number, der: Array(list.der), thisUpdate: list.thisUpdate, nextUpdate: list.nextUpdate)
        }
    }

    /// Stores a CRL; fails when one with its number exists.
    public func add(_ list: RevocationListRecord) async throws {
        try await RevocationListModel(number: list.number, der: Data(list.der), thisUpdate: list.thisUpdate, nextUpdate: list.nextUpdate)
            .create(on: database)
    }
}

/// One of the authority's certificates with its key, sealed under the master key.
public struct AuthorityRecord: Sendable {
    /// `root` or `issuing`.
    public let role: String
    public let der: [UInt8]
    public let sealedKey: [UInt8]

    public init(role: String, der: [UInt8], sealedKey: [UInt8]) {
        self.role = role
        self.der = der
        self.sealedKey = sealedKey
    }
}

/// The authority's two certificates.
public struct AuthorityRecords: Sendable {
    public let root: AuthorityRecord
    public let issuing: AuthorityRecord
}

/// A signer's certificate as stored, with their key sealed under their password.
public struct SignerCertificateRecord: Sendable {
    public let id: UUID
    public let iin: IIN
    /// The serial number in upper-case hex.
    public let serial: String
    public let der: [UInt8]
    /// The key's algorithm (`p256`, `rsa-2048`).
    public let algorithm: String
    public let sealedKey: SealedSigningKey
    public let notBefore: Date
    public let notAfter: Date
    public let createdAt: Date?
    public let revokedAt: Date?
    /// The CRL reason code of the revocation.
    public let revocationReason: Int?

    public init(id: UUID, iin: IIN, serial: String, der: [UInt8], algorithm: String, sealedKey: SealedSigningKey, notBefore: Date, notAfter: Date, createdAt: Date?, revokedAt: Date?, revocationReason: Int?) {
        self.id = id
        self.iin = iin
        self.serial = serial
        self.der = der
        self.algorithm = algorithm
        self.sealedKey = sealedKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    /// Whether the certificate can sign at `now`: unrevoked and within its validity.
    public func isValid(at now: Date) -> Bool {
        revokedAt == nil && notBefore <= now && now < notAfter
    }
}

/// A certificate's revocation.
public struct Revocation: Sendable {
    /// The serial number in upper-case hex.
    public let serial: String
    public let revokedAt: Date
    /// The CRL reason code; nil for unspecified.
    public let reason: Int?
}

/// A CRL as issued.
public struct RevocationListRecord: Sendable {
    public let number: Int64
    public let der: [UInt8]
    public let thisUpdate: Date
    public let nextUpdate: Date

    public init(number: Int64, der: [UInt8], thisUpdate: Date, nextUpdate: Date) {
        self.number = number
        self.der = der
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}
