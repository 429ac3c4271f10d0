import Crypto
import CryptoExtras
import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing

/// The signer key record of the first version, sealed as it was before the outer layer: the
/// wrapping key is HKDF(scrypt(password), salt: the master key's bytes). Written here from the
/// format's description, not from the server's code.
func versionOneRecord(_ key: SigningKey, password: String, owner: String, masterKey: MasterKey) throws -> SealedSigningKey {
    let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
    let stretched = try KDF.Scrypt.deriveKey(
        from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << 12, blockSize: 8, parallelism: 1)
    let wrapping = HKDF<SHA256>.deriveKey(
        inputKeyMaterial: stretched, salt: try #require(Data(base64Encoded: masterKey.base64)), info: Data("qoltanba signer key v1".utf8),
        outputByteCount: 32)
    let box = try AES.GCM.seal(key.pkcs8, using: wrapping, authenticating: Data(owner.utf8))
    return SealedSigningKey(
        version: 1, algorithm: key.algorithm, scryptN: 1 << 12, scryptR: 8, scryptP: 1, salt: salt.base64EncodedString(),
        box: try #require(box.combined).base64EncodedString())
}

@Suite("Master key rotation")
struct MasterKeyRotationTests {
    let old = MasterKey.generate()
    let new = MasterKey.generate()

    /// A server on `old` with a signed session (a signer key) and a webhook secret set twice (a
    /// current and a previous secret).
    func withSecrets(_ body: (TestServer, _ webhookSecret: String) async throws -> Void) async throws {
        try await TestServer.with(environment: ["QOLTANBA_MASTER_KEY": old.base64]) { server in
            let session = try await server.createSession()
            _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: session)
            try await browser.signEverything()
            let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            let stores = server.app.stores
            _ = try await WebhookSecrets.set(url: "http://127.0.0.1:9/a", for: organization.id, sealer: Sealer(masterKey: old), allowPrivate: true, in: stores.organizations)
            let secret = try await WebhookSecrets.set(url: "http://127.0.0.1:9/b", for: organization.id, sealer: Sealer(masterKey: old), allowPrivate: true, in: stores.organizations)
            try await body(server, secret)
        }
    }

    /// Whether every secret opens under `key` alone: the CA keys, the webhook secrets, the signer key with its password.
    func everythingOpens(under key: MasterKey, _ server: TestServer, webhookSecret: String) async throws -> Bool {
        let db = server.app.db
        for certificate in try await AuthorityCertificateModel.query(on: db).all() {
            guard (try? key.open(Array(certificate.sealedKey), context: "ca-\(certificate.role)")) != nil else { return false }
        }
        let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
        guard let secrets = try? WebhookSecrets.all(of: organization, sealer: Sealer(masterKey: key), now: Date()), secrets.first == webhookSecret, secrets.count == 2
        else { return false }
        for certificate in try await SignerCertificateModel.query(on: db).all() {
            let record = try JSONDecoder().decode(SealedSigningKey.self, from: Data(certificate.sealedKey.utf8))
            let owner = KeyCustody.owner(iin: certificate.iin, serial: certificate.serial)
            guard (try? KeyCustody(masterKey: key).open(record, password: "correct horse", owner: owner)) != nil else { return false }
        }
        return true
    }

    @Test("a rotation stopped part-way is finished by a second run; then the new key alone opens every secret, and no password was needed")
    func resumable() async throws {
        try await withSecrets { server, secret in
            #expect(try await everythingOpens(under: old, server, webhookSecret: secret))
            #expect(try await !everythingOpens(under: new, server, webhookSecret: secret))
            let rotation = MasterKeyRotation(stores: server.app.stores, sealer: Sealer(masterKey: new.opening(old)))

            // Stopped after two (as a crash would stop it: each secret is replaced on its own).
            let first = try await rotation.run(limit: 2)
            #expect(!first.complete && first.resealed == ["CA key": 2])
            // While it is under way, the keyring opens everything, the old key alone no longer does.
            #expect(try await everythingOpens(under: new.opening(old), server, webhookSecret: secret))
            #expect(try await !everythingOpens(under: old, server, webhookSecret: secret))

            let second = try await rotation.run()
            #expect(second.complete && second.unreadable.isEmpty && second.changedMeanwhile == 0)
            #expect(second.resealed == ["webhook secret": 2, "signer key": 1] && second.current == 2)
            #expect(try await everythingOpens(under: new, server, webhookSecret: secret))
            #expect(try await !everythingOpens(under: old, server, webhookSecret: secret))

            let third = try await rotation.run()
            #expect(third.resealed.isEmpty && third.current == 5 && third.complete)
        }
    }

    @Test("a secret an instance changed meanwhile is not overwritten; one neither key opens is reported by where it is, not what")
    func changedAndUnreadable() async throws {
        try await withSecrets { server, _ in
            let store = server.app.stores.sealedSecrets
            let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            let current = try #require(organization.webhookSecret)
            #expect(try await !store.replace(.webhookSecret, of: server.organizationID, was: Data([1, 2, 3]), with: Data([4])))
            #expect(try await server.app.stores.organizations.organization(server.organizationID)?.webhookSecret == current)

            // A secret sealed under a third key: reported, left alone, the rest done.
            let stranger = MasterKey.generate()
            let model = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            model.webhookPreviousSecret = Data(try stranger.seal(Array("whsec_x".utf8), context: WebhookSecrets.box(organization).context))
            try await model.save(on: server.app.db)
            let report = try await MasterKeyRotation(stores: server.app.stores, sealer: Sealer(masterKey: new.opening(old))).run()
            #expect(report.unreadable == ["webhook secret \(server.organizationID.apiString)"])
            #expect(report.resealed == ["CA key": 2, "webhook secret": 1, "signer key": 1])
        }
    }

    @Test("a webhook secret set while a rotation runs seals the secret it replaces under the new key (a run that read the organization before would miss it)")
    func secretSetDuringRotation() async throws {
        try await withSecrets { server, replaced in
            let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            let secret = try await WebhookSecrets.set(
                url: "http://127.0.0.1:9/c", for: organization.id, sealer: Sealer(masterKey: new.opening(old)), allowPrivate: true, in: server.app.stores.organizations)
            let saved = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            #expect(try WebhookSecrets.all(of: saved, sealer: Sealer(masterKey: new), now: Date()) == [secret, replaced])
        }
    }

    @Test("migration 011 gives a first-version signer key its outer layer: the password still opens it, and a rotation needs no password")
    func outerLayer() async throws {
        try await withSecrets { server, _ in
            let db = server.app.db
            let certificate = try #require(try await SignerCertificateModel.query(on: db).first())
            let owner = KeyCustody.owner(iin: certificate.iin, serial: certificate.serial)
            let key = try SigningKey.generate(.p256)
            let legacy = try versionOneRecord(key, password: "correct horse", owner: owner, masterKey: old)
            // Today's custody still opens a first-version record.
            #expect(try KeyCustody(masterKey: old).open(legacy, password: "correct horse", owner: owner).pkcs8 == key.pkcs8)
            certificate.sealedKey = String(decoding: try JSONEncoder().encode(legacy), as: UTF8.self)
            try await certificate.save(on: db)

            // The migration runs again, as on a database of the version before it.
            try await db.sql.raw("DELETE FROM _fluent_migrations WHERE name = \(bind: "QoltanbaServer.WrapSignerKeys")").run()
            try await server.app.applyMigrations()
            let wrapped = try JSONDecoder().decode(
                SealedSigningKey.self, from: Data(try #require(try await SignerCertificateModel.find(certificate.id, on: db)).sealedKey.utf8))
            #expect(wrapped.version == 2 && wrapped.pepper != nil && wrapped.box == legacy.box && wrapped.salt == legacy.salt)
            #expect(try KeyCustody(masterKey: old).open(wrapped, password: "correct horse", owner: owner).pkcs8 == key.pkcs8)
            #expect(throws: KeyCustodyError.wrongPassword) { try KeyCustody(masterKey: old).open(wrapped, password: "wrong horse", owner: owner) }

            // Rotated without the password; the new key alone opens it.
            let report = try await MasterKeyRotation(stores: server.app.stores, sealer: Sealer(masterKey: new.opening(old))).run()
            #expect(report.complete && report.resealed["signer key"] == 1)
            #expect(try KeyCustody(masterKey: new).open(
                try JSONDecoder().decode(SealedSigningKey.self, from: Data(try #require(try await SignerCertificateModel.find(certificate.id, on: db)).sealedKey.utf8)),
                password: "correct horse", owner: owner).pkcs8 == key.pkcs8)
        }
    }

    @Test("a server during a rotation seals under the new key and opens under both")
    func keyring() throws {
        let keyring = new.opening(old)
        let before = try old.seal([7], context: "c")
        let during = try keyring.seal([8], context: "c")
        #expect(try keyring.open(before, context: "c") == [7])
        #expect(try keyring.open(during, context: "c") == [8])
        #expect(try new.open(during, context: "c") == [8])
        #expect(throws: KeyCustodyError.cannotOpen) { try old.open(during, context: "c") }
        #expect(try keyring.resealed(during, context: "c") == nil)
        let resealed = try #require(try keyring.resealed(before, context: "c"))
        #expect(try new.open(resealed, context: "c") == [7])
        #expect(throws: KeyCustodyError.cannotOpen) { try keyring.resealed(try MasterKey.generate().seal([1], context: "c"), context: "c") }
    }
}
