import Crypto
import CryptoExtras
import Fluent
import FluentKit
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SwiftASN1
import Testing
import VaporTesting
import X509

@Suite("PKI endpoints, CRL and signature verification")
struct PKIEndpointTests {
    static let identity = SignerIdentity(
        iin: try! IIN("871008401427"),
        name: PersonName(surname: "Нұрланова", givenName: "Әсел", patronymic: "Қайратқызы"))
    static let content = Array("Шарт / contract".utf8)

    /// Issues a certificate, opens its key with the password, and signs `content`.
    func signedCMS(_ server: TestServer, detached: Bool = false) async throws -> ([UInt8], SignerCertificateRecord) {
        let pki = server.app.pki
        // A second call finds the first certificate still current: it signs with that one.
        let issued = try await pki.issue(for: Self.identity, password: "s3cret-Пароль", in: server.app.stores.certificates)
        let current = try await server.app.stores.certificates.usable(iin: Self.identity.iin, at: Date())
        let model = try #require(issued ?? current)
        let certificate = try Certificate(derEncoded: model.der)
        let key = try await pki.signingKey(of: model, password: "s3cret-Пароль")
        let cms = try CMSSigner.sign(
            Self.content, detached: detached, key: key, certificate: certificate, chain: [pki.authority.issuing])
        return (cms, model)
    }

    func verify(_ server: TestServer, cms: [UInt8], data: [UInt8]? = nil) async throws -> TestingHTTPResponse {
        var body = #"{"cms":"\#(Data(cms).base64EncodedString())""#
        if let data { body += #","data":"\#(Data(data).base64EncodedString())""# }
        return try await server.postJSON("/api/v1/signature/verify/", body + "}")
    }

    @Test("the root and issuing certificates are published as PEM and DER, and chain")
    func published() async throws {
        try await TestServer.with { server in
            var certificates: [String: Certificate] = [:]
            for name in ["root", "issuing"] {
                let pem = try await server.send(.GET, "/pki/\(name).pem", key: "")
                #expect(pem.status == .ok)
                #expect(pem.headers.contentType?.serialize() == "application/x-pem-file")
                let fromPEM = try Certificate(pemEncoded: pem.body.string)
                let der = try await server.send(.GET, "/pki/\(name).cer", key: "")
                #expect(der.headers.contentType?.serialize() == "application/pkix-cert")
                #expect(try Certificate(derEncoded: Array(der.body.readableBytesView)) == fromPEM)
                certificates[name] = fromPEM
            }
            let root = try #require(certificates["root"])
            let issuing = try #require(certificates["issuing"])
            #expect(root.subject == root.issuer)
            #expect(issuing.issuer == root.subject)
            #expect(root.publicKey.isValidSignature(issuing.signature, for: issuing))
            #expect(try root.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 1))
            #expect(try issuing.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
            #expect(root.subject.commonName == "Qoltanba Sandbox Root CA")
        }
    }

    @Test("the CA is made once and kept: sealed in the database, reloaded by the next start")
    func persisted() async throws {
        try await TestServer.with { server in
            let rows = try await AuthorityCertificateModel.query(on: server.app.db).all()
            #expect(Set(rows.map(\.role)) == ["root", "issuing"])
            let (_, rootKey, _) = try CertificateAuthority.create(name: "unrelated")
            for row in rows { #expect(row.sealedKey.range(of: Data(rootKey.pkcs8.prefix(16))) == nil) }

            let first = server.app.pki.authority.root
            try await server.app.prepareDatabase()
            #expect(server.app.pki.authority.root == first)
            #expect(try await AuthorityCertificateModel.query(on: server.app.db).count() == 2)
        }
    }

    @Test("another master key cannot open the stored CA, and says so")
    func otherMasterKey() async throws {
        try await TestServer.with { server in
            var configuration = server.app.qoltanba
            configuration.masterKey = MasterKey.generate()
            server.app.qoltanba = configuration
            await #expect(throws: QoltanbaError.self) { try await server.app.prepareDatabase() }
        }
    }

    @Test("a verified signature: TOTAL_PASSED with a masked IIN, attached and detached")
    func verifies() async throws {
        try await TestServer.with { server in
            for detached in [false, true] {
                let (cms, model) = try await signedCMS(server, detached: detached)
                let response = try await verify(server, cms: cms, data: detached ? Self.content : nil)
                #expect(response.status == .ok, "\(response.body.string)")
                let json = try response.json()
                #expect(json["indication"] as? String == "TOTAL_PASSED")
                #expect(json["sub_indication"] is NSNull)
                #expect(json["detached"] as? Bool == detached)
                let signer = try #require((json["signers"] as? [[String: Any]])?.first)
                #expect(signer["iin"] as? String == "8710******27")
                #expect(signer["name"] as? String == "НҰРЛАНОВА ӘСЕЛ")
                #expect(signer["certificate_serial"] as? String == model.serial)
                #expect(signer["signature_algorithm"] as? String == "ecdsa-with-SHA256")
                #expect(!response.body.string.contains("871008401427"))
            }
        }
    }

    @Test("tampered content fails; a revoked certificate is REVOKED and listed in the next CRL")
    func failures() async throws {
        try await TestServer.with { server in
            let (detached, _) = try await signedCMS(server, detached: true)
            let tampered = try await verify(server, cms: detached, data: Array("другой".utf8))
            #expect(try tampered.json()["indication"] as? String == "TOTAL_FAILED")
            #expect(try tampered.json()["sub_indication"] as? String == "HASH_FAILURE")
            let missing = try await verify(server, cms: detached)
            #expect(try missing.json()["sub_indication"] as? String == "SIGNED_DATA_NOT_FOUND")

            let firstCRL = try await server.send(.GET, "/pki/crl", key: "")
            #expect(firstCRL.headers.contentType?.serialize() == "application/pkix-crl")
            let (cms, model) = try await signedCMS(server)
            _ = try await server.app.pki.revoke(serial: model.serial.lowercased(), reason: .keyCompromise, in: server.app.stores.certificates)
            let revoked = try await verify(server, cms: cms)
            let json = try revoked.json()
            #expect(json["indication"] as? String == "TOTAL_FAILED")
            #expect(json["sub_indication"] as? String == "REVOKED")
            #expect((json["signers"] as? [[String: Any]])?.first?["revoked_at"] is String)

            let crl = try await server.send(.GET, "/pki/crl", key: "")
            let checker = try RevocationListChecker(crl: Array(crl.body.readableBytesView), issuer: server.app.pki.authority.issuing)
            let certificate = try Certificate(derEncoded: model.der)
            #expect(checker.entry(for: certificate)?.reason == .keyCompromise)
            #expect(crl.body != firstCRL.body)

            await #expect(throws: QoltanbaError.self) {
                try await server.app.pki.revoke(serial: model.serial, reason: .unspecified, in: server.app.stores.certificates)
            }
        }
    }

    @Test("a revocation whose CRL was never written is picked up by the next refresh, never by a GET")
    func selfHealingCRL() async throws {
        try await TestServer.with { server in
            let model = try #require(try await server.app.pki.issue(for: Self.identity, password: "p", in: server.app.stores.certificates))
            let certificate = try Certificate(derEncoded: model.der)
            let before = try await server.send(.GET, "/pki/crl", key: "")
            // As if the process stopped between recording the revocation and issuing the CRL.
            #expect(try await server.app.stores.certificates.revoke(model.id, reason: RevokedCertificate.Reason.superseded.rawValue, at: Date()))

            let unchanged = try await server.send(.GET, "/pki/crl", key: "")
            #expect(unchanged.body == before.body)
            #expect(try await RevocationListModel.query(on: server.app.db).count() == 1)
            // Verification knows of the revocation before any CRL does.
            let cms = try CMSSigner.sign(
                Array("x".utf8), key: try await server.app.pki.signingKey(of: model, password: "p"), certificate: certificate,
                chain: [server.app.pki.authority.issuing])
            #expect(try await server.app.pki.verifier(in: server.app.stores.certificates).verify(cms).subIndication == .revoked)

            try await server.app.pki.refreshRevocationList(in: server.app.stores.certificates)
            let after = try await server.send(.GET, "/pki/crl", key: "")
            let checker = try RevocationListChecker(crl: Array(after.body.readableBytesView), issuer: server.app.pki.authority.issuing)
            #expect(checker.entry(for: certificate)?.reason == .superseded)
            let earlier = try RevocationListChecker(crl: Array(before.body.readableBytesView), issuer: server.app.pki.authority.issuing)
            #expect(earlier.entry(for: certificate) == nil)
            #expect(try await RevocationListModel.query(on: server.app.db).count() == 2)
        }
    }

    @Test("bad requests are 400s naming the field")
    func badRequests() async throws {
        try await TestServer.with { server in
            for (body, detail) in [
                (#"{}"#, "cms: this field is required"),
                (#"{"cms":"%%%"}"#, "cms: not valid base64"),
                (#"{"cms":"aGVsbG8="}"#, nil),
                (#"{"cms":"aGVsbG8=","data":"%%%"}"#, "data: not valid base64"),
            ] {
                let response = try await server.postJSON("/api/v1/signature/verify", body)
                #expect(response.status == .badRequest, "\(body)")
                if let detail { #expect(response.detail == detail) } else {
                    #expect(response.detail?.hasPrefix("cms: not a CMS SignedData") == true)
                }
            }
            let anonymous = try await server.postJSON("/api/v1/signature/verify/", "{}", key: "")
            #expect(anonymous.detail == "organization api-key not found")
        }
    }

    @Test("custody through the service: the right password opens the key, a wrong one is reported as such")
    func custody() async throws {
        try await TestServer.with { server in
            let model = try #require(try await server.app.pki.issue(for: Self.identity, password: "right", in: server.app.stores.certificates))
            let certificate = try Certificate(derEncoded: model.der)
            #expect(try await server.app.pki.signingKey(of: model, password: "right").publicKey == certificate.publicKey)
            await #expect(throws: KeyCustodyError.wrongPassword) { try await server.app.pki.signingKey(of: model, password: "wrong") }
            let stored = try #require(try await SignerCertificateModel.find(model.id, on: server.app.db))
            #expect(!stored.sealedKey.contains("right"))
            let listed = try await server.app.stores.certificates.certificates(iin: try IIN("871008401427"))
            #expect(listed.map(\.serial) == [model.serial])
            #expect(try await server.app.stores.certificates.certificates(iin: try IIN("760212350620")).isEmpty)
        }
    }

    @Test("RSA-2048 signer keys by configuration, and the configured validity")
    func rsaConfiguration() async throws {
        try await TestServer.with(environment: [
            "QOLTANBA_SIGNER_KEY_ALGORITHM": "rsa-2048", "QOLTANBA_CERTIFICATE_VALIDITY_DAYS": "30",
        ]) { server in
            let model = try #require(try await server.app.pki.issue(for: Self.identity, password: "s3cret-Пароль", in: server.app.stores.certificates))
            let certificate = try Certificate(derEncoded: model.der)
            #expect(model.algorithm == "rsa-2048")
            #expect(_RSA.Signing.PublicKey(certificate.publicKey) != nil)
            #expect(abs(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) - (30 * 86_400 + 60)) < 2)
            let (cms, _) = try await signedCMS(server)
            #expect(try await verify(server, cms: cms).json()["indication"] as? String == "TOTAL_PASSED")
        }
    }
}
