import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import SwiftASN1
import Vapor
import X509

/// Qoltanba's certificate authority as the server runs it: created on first start and kept in
/// the database (keys sealed under the master key), signer certificates with their sealed keys,
/// revocation and the CRL.
struct PKIService: Sendable {
    let authority: CertificateAuthority
    let custody: KeyCustody
    /// Sealing with the master key, for the other secrets it protects (SMS code hashes, sealed passwords).
    let sealer: Sealer
    let crlURL: String
    let signerKeyAlgorithm: SigningKey.Algorithm
    let certificateValidity: TimeInterval
    /// Roots trusted besides Qoltanba's own (`QOLTANBA_TRUST_ANCHORS`), e.g. the national CA's.
    let trustAnchors: [Certificate]
    /// Where the password-based key work runs (scrypt, about 0.1 s each): never on an event loop,
    /// which would stall every connection it serves.
    let workers: WorkerPool

    /// How long a CRL is valid; a new one is issued when less than an hour of it is left.
    static let crlLifetime: TimeInterval = 24 * 3600
    /// How often each instance looks whether a new CRL is due, in seconds.
    static let revocationListCheckInterval = 300

    /// Loads the authority, creating it when the database has none.
    static func load(
        store: PKIStore, configuration: QoltanbaConfiguration, sealer: Sealer, workers: WorkerPool, logger: Logger
    ) async throws -> PKIService {
        let authority: CertificateAuthority
        if let stored = try await loadAuthority(store: store, sealer: sealer) {
            authority = stored
        } else {
            let name = configuration.mode == .sandbox ? "Qoltanba Sandbox" : "Qoltanba"
            let created = try CertificateAuthority.create(name: name)
            do {
                try await store.createAuthority([
                    ("root", created.authority.root, created.rootKey),
                    ("issuing", created.authority.issuing, created.issuingKey),
                ].map { role, certificate, key in
                    AuthorityRecord(
                        role: role, der: try certificate.derBytes(), sealedKey: try sealer.seal(key.pkcs8, as: .authorityKey(role: role)))
                })
                authority = created.authority
                logger.notice("created the certificate authority", metadata: ["name": "\(name)"])
            } catch {
                // Another instance created it first.
                guard let stored = try await loadAuthority(store: store, sealer: sealer) else { throw error }
                authority = stored
            }
        }
        let service = PKIService(
            authority: authority, custody: sealer.custody, sealer: sealer,
            crlURL: configuration.publicURL + "/pki/crl", signerKeyAlgorithm: configuration.signerKeyAlgorithm,
            certificateValidity: TimeInterval(configuration.certificateValidityDays) * 86_400,
            trustAnchors: configuration.trustAnchors, workers: workers)
        try await service.refreshRevocationList(in: store)
        return service
    }

    private static func loadAuthority(store: PKIStore, sealer: Sealer) async throws -> CertificateAuthority? {
        guard let stored = try await store.authority() else { return nil }
        let issuingKey: [UInt8]
        do {
            issuingKey = try sealer.open(stored.issuing.sealedKey, as: .authorityKey(role: "issuing"))
        } catch {
            throw QoltanbaError(
                .operatorError,
                "the certificate authority's key cannot be opened with this master key: QOLTANBA_MASTER_KEY (or the sandbox's master.key) is not the one the authority was created with (while a rotation is under way, QOLTANBA_MASTER_KEY_PREVIOUS must hold the old key)")
        }
        return CertificateAuthority(
            root: try Certificate(derEncoded: stored.root.der),
            issuing: try Certificate(derEncoded: stored.issuing.der),
            issuingKey: try SigningKey(pkcs8: issuingKey, algorithm: .p256))
    }

    // MARK: Signer certificates

    /// Issues a certificate for `identity` with a new key sealed under `password`.
    func issue(for identity: SignerIdentity, password: String, in store: PKIStore, now: Date = Date()) async throws
        -> SignerCertificateRecord?
    {
        let (algorithm, authority, crlURL, validity, custody) = (signerKeyAlgorithm, authority, crlURL, certificateValidity, custody)
        let (key, certificate, serial, sealed) = try await workers.run {
            let key = try SigningKey.generate(algorithm)
            let certificate = try authority.issueSignerCertificate(
                for: identity, publicKey: key.publicKey, crlURL: crlURL, now: now, validity: validity)
            let serial = certificate.serialNumber.bytes.hexString.uppercased()
            let sealed = try custody.seal(key, password: password, owner: KeyCustody.owner(iin: identity.iin.digits, serial: serial))
            return (key, certificate, serial, sealed)
        }
        let record = SignerCertificateRecord(
            id: UUID(), iin: identity.iin, serial: serial, der: try certificate.derBytes(), algorithm: key.algorithm.rawValue,
            sealedKey: sealed, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter, createdAt: now,
            revokedAt: nil, revocationReason: nil)
        return try await store.addCurrent(record, now: now) ? record : nil
    }

    /// Opens a signer's key with their password.
    /// - Throws: `KeyCustodyError.wrongPassword` for a wrong password, so that attempts can be counted.
    func signingKey(of certificate: SignerCertificateRecord, password: String) async throws -> SigningKey {
        let (custody, sealed, owner) = (custody, certificate.sealedKey, KeyCustody.owner(iin: certificate.iin.digits, serial: certificate.serial))
        return try await workers.run { try custody.open(sealed, password: password, owner: owner) }
    }

    /// Revokes a certificate by serial (hex, any case, colons allowed) and issues a new CRL.
    func revoke(serial text: String, reason: RevokedCertificate.Reason, in store: PKIStore, now: Date = Date()) async throws
        -> SignerCertificateRecord
    {
        let serial = text.replacingOccurrences(of: ":", with: "").uppercased()
        guard let certificate = try await store.certificate(serial: serial) else {
            throw QoltanbaError(.operatorError, "no certificate has the serial '\(text)'")
        }
        guard try await store.revoke(certificate.id, reason: reason.rawValue, at: now) else {
            throw QoltanbaError(.operatorError, "the certificate \(serial) is already revoked")
        }
        _ = try await issueRevocationList(in: store, now: now)
        return certificate
    }

    // MARK: CRL

    /// The newest CRL issued, as `/pki/crl` publishes it; nil before the first.
    func publishedRevocationList(in store: PKIStore) async throws -> [UInt8]? {
        try await store.latestRevocationList().map(\.der)
    }

    /// Issues a new CRL when the newest is about to lapse or a revocation came after it (one whose
    /// CRL was never written, by a crash or a concurrent instance); otherwise does nothing. Run at
    /// start and by the revocation list job (`BackgroundJob`), never by a request.
    func refreshRevocationList(in store: PKIStore, now: Date = Date()) async throws {
        let newestRevocation = try await store.newestRevocation()
        if let latest = try await store.latestRevocationList(),
           latest.nextUpdate.timeIntervalSince(now) > 3600,
           newestRevocation.map({ $0 <= latest.thisUpdate }) ?? true
        {
            return
        }
        _ = try await issueRevocationList(in: store, now: now)
    }

    /// Issues the next CRL with every revoked certificate. When another instance takes the same
    /// number first, it tries again with the next.
    func issueRevocationList(in store: PKIStore, now: Date = Date()) async throws -> [UInt8] {
        var attempt = 0
        while true {
            attempt += 1
            let latest = try await store.latestRevocationList()
            let revoked = try await store.revoked().map(Self.revokedCertificate)
            let number = (latest?.number ?? 0) + 1
            let nextUpdate = now.addingTimeInterval(Self.crlLifetime)
            let der = try authority.revocationList(revoked: revoked, number: number, thisUpdate: now, nextUpdate: nextUpdate)
            do {
                try await store.add(RevocationListRecord(number: number, der: der, thisUpdate: now, nextUpdate: nextUpdate))
                return der
            } catch where attempt < 3 {
                continue
            }
        }
    }

    /// A verifier trusting Qoltanba's root and the configured trust anchors, and checking
    /// Qoltanba's certificates against the revocations in the database (which a CRL only copies).
    /// It reads and writes nothing else, so a public request may make one.
    func verifier(in store: PKIStore) async throws -> CMSVerifier {
        let revoked = try await store.revoked().map(Self.revokedCertificate)
        return CMSVerifier(
            trustRoots: [authority.root] + trustAnchors, intermediates: [authority.issuing],
            revocation: RevocationListChecker(entries: revoked, issuer: authority.issuing))
    }

    private static func revokedCertificate(_ revocation: Revocation) -> RevokedCertificate {
        RevokedCertificate(
            serial: [UInt8](hex: revocation.serial) ?? [], revokedAt: revocation.revokedAt,
            reason: RevokedCertificate.Reason(rawValue: revocation.reason ?? 0) ?? .unspecified)
    }
}
