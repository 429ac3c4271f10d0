import Crypto
import Foundation
@testable import QoltanbaPKI
import QoltanbaCore
import SwiftASN1
import Testing
import X509

@Suite("CMS signing, co-signing and verification, against OpenSSL")
struct CMSInteropTests {
    static let document = Array("Келісімшарт № 42: Қолтаңба test document\n".utf8)

    /// `openssl cms -verify` of a DER CMS against the Qoltanba root (and any extra roots).
    func opensslVerifies(_ cms: [UInt8], detachedContent: [UInt8]? = nil, extraRoots: [Certificate] = [], in workspace: Workspace) throws -> (Bool, String) {
        try workspace.write("roots.pem", pem: [PKIFixture.authority.root] + extraRoots)
        try workspace.write("signature.p7s", cms)
        var arguments = ["cms", "-verify", "-inform", "DER", "-in", "signature.p7s", "-CAfile", "roots.pem", "-out", "verified.out"]
        if let detachedContent {
            try workspace.write("content.bin", detachedContent)
            arguments += ["-content", "content.bin", "-binary"]
        }
        let result = try workspace.openssl(arguments)
        let output = (try? workspace.read("verified.out")) ?? []
        return (result.status == 0 && output == (detachedContent ?? Self.document), result.output)
    }

    @Test("attached and detached, EC and RSA: OpenSSL verifies, and so does Qoltanba",
          arguments: SigningKey.Algorithm.allCases, [false, true])
    func signs(_ algorithm: SigningKey.Algorithm, detached: Bool) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (key, certificate) = try PKIFixture.signer(algorithm)
        let cms = try CMSSigner.sign(
            Self.document, detached: detached, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])

        let (passed, output) = try opensslVerifies(cms, detachedContent: detached ? Self.document : nil, in: workspace)
        #expect(passed, "\(output)")

        let report = try await PKIFixture.verifier.verify(cms, detachedContent: detached ? Self.document : nil)
        #expect(report.indication == .totalPassed)
        #expect(report.detached == detached)
        let signer = try #require(report.signers.first)
        #expect(signer.iin == "871008401427")
        #expect(signer.name == "НҰРЛАНОВА ӘСЕЛ")
        #expect(signer.certificateSerial == certificate.serialNumber.bytes.map { String(format: "%02X", $0) }.joined())
        #expect(signer.issuer?.contains("Qoltanba Test Issuing CA") == true)
        #expect(abs(signer.signingTime!.timeIntervalSinceNow) < 60)
        #expect(signer.signatureAlgorithm == (algorithm == .p256 ? "ecdsa-with-SHA256" : "sha256WithRSAEncryption"))
    }

    @Test("the signed attributes make CAdES-BES: an independent parser shows signingCertificateV2 for the signer")
    func signedAttributes() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (key, certificate) = try PKIFixture.signer()
        let cms = try CMSSigner.sign(Self.document, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        try workspace.write("signature.p7s", cms)
        let printed = try workspace.openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "signature.p7s"])
        #expect(printed.status == 0)
        for attribute in ["contentType", "messageDigest", "signingTime", "id-smime-aa-signingCertificateV2"] {
            #expect(printed.output.contains("object: \(attribute)"), "\(attribute)")
        }
        // The ESSCertIDv2 hash is the SHA-256 of the signer's certificate.
        let certificateHash = SHA256.hash(data: try certificate.derBytes())
        let hex = certificateHash.map { String(format: "%02X", $0) }.joined()
        let dump = printed.output.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\n", with: "")
        #expect(dump.contains(String(hex.prefix(16))), "the certificate hash is not in the attribute dump")
    }

    @Test("two Qoltanba signers, EC then RSA: both kept, OpenSSL verifies, Qoltanba reports both")
    func cosign() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (firstKey, first) = try PKIFixture.signer(.p256)
        let (secondKey, second) = try PKIFixture.signer(.rsa2048, identity: PKIFixture.otherIdentity)
        let once = try CMSSigner.sign(Self.document, key: firstKey, certificate: first, chain: [PKIFixture.authority.issuing])
        let twice = try CMSSigner.cosign(once, key: secondKey, certificate: second, chain: [PKIFixture.authority.issuing])

        let (passed, output) = try opensslVerifies(twice, in: workspace)
        #expect(passed, "\(output)")
        let parsedOnce = try CMSSignedData(berEncoded: once)
        let parsedTwice = try CMSSignedData(berEncoded: twice)
        let signersOnce = try parsedOnce.signerInfos
        let signersTwice = try parsedTwice.signerInfos
        #expect(signersTwice.count == 2)
        #expect(signersTwice.contains { $0.encoded == signersOnce[0].encoded })
        #expect(parsedTwice.certificates.count == 3)

        let report = try await PKIFixture.verifier.verify(twice)
        #expect(report.indication == .totalPassed)
        #expect(Set(report.signers.compactMap(\.iin)) == ["871008401427", "760212350620"])
        #expect(report.signers.allSatisfy { $0.indication == .totalPassed })
    }

    @Test("a detached signature is co-signed with its content and stays detached")
    func cosignDetached() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (firstKey, first) = try PKIFixture.signer()
        let (secondKey, second) = try PKIFixture.signer(identity: PKIFixture.otherIdentity)
        let once = try CMSSigner.sign(Self.document, detached: true, key: firstKey, certificate: first, chain: [PKIFixture.authority.issuing])
        #expect(throws: CMSError.contentMissing) {
            try CMSSigner.cosign(once, key: secondKey, certificate: second, chain: [])
        }
        let twice = try CMSSigner.cosign(
            once, detachedContent: Self.document, key: secondKey, certificate: second, chain: [PKIFixture.authority.issuing])
        let (passed, output) = try opensslVerifies(twice, detachedContent: Self.document, in: workspace)
        #expect(passed, "\(output)")
        #expect(try await PKIFixture.verifier.verify(twice, detachedContent: Self.document).indication == .totalPassed)
    }

    /// An outside CA and signer made by OpenSSL alone.
    func opensslSigner(_ keySpec: [String], in workspace: Workspace) throws -> Certificate {
        #expect(try workspace.openssl(["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Other CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]).status == 0)
        #expect(try workspace.openssl(["req", "-new", "-newkey"] + keySpec + ["-nodes", "-keyout", "signer.key",
            "-out", "signer.csr", "-subj", "/CN=Other Signer"]).status == 0)
        try workspace.write("ext.cnf", Array("keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n".utf8))
        #expect(try workspace.openssl(["x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "signer.pem", "-days", "30", "-extfile", "ext.cnf"]).status == 0)
        try workspace.write("document.txt", Self.document)
        let signed = try workspace.openssl(["cms", "-sign", "-binary", "-nodetach", "-in", "document.txt",
            "-signer", "signer.pem", "-inkey", "signer.key", "-outform", "DER", "-out", "openssl.p7s"])
        #expect(signed.status == 0, "\(signed.output)")
        return try Certificate(pemEncoded: String(decoding: try workspace.read("ca.pem"), as: UTF8.self))
    }

    @Test("CMS from openssl cms -sign (RSA and EC) verifies in Qoltanba, takes a co-signature, and OpenSSL accepts both",
          arguments: [["rsa:2048"], ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]])
    func opensslMade(_ keySpec: [String]) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let otherRoot = try opensslSigner(keySpec, in: workspace)
        let foreign = try workspace.read("openssl.p7s")
        let verifier = CMSVerifier(trustRoots: [PKIFixture.authority.root, otherRoot], intermediates: [PKIFixture.authority.issuing])

        let report = try await verifier.verify(foreign)
        #expect(report.indication == .totalPassed, "\(report)")
        #expect(report.signers.first?.name == "Other Signer")
        if keySpec == ["rsa:2048"] {
            #expect(try CMSSignedData(berEncoded: foreign).signerInfos[0].signatureAlgorithm == OID.rsaEncryption)
        }
        // Qoltanba alone does not trust the outside CA.
        #expect(try await PKIFixture.verifier.verify(foreign).signers.first?.subIndication == .noCertificateChainFound)

        let (key, certificate) = try PKIFixture.signer()
        let cosigned = try CMSSigner.cosign(foreign, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        let (passed, output) = try opensslVerifies(cosigned, extraRoots: [otherRoot], in: workspace)
        #expect(passed, "\(output)")
        let both = try await verifier.verify(cosigned)
        #expect(both.indication == .totalPassed)
        #expect(both.signers.count == 2)
    }

    @Test("tampered content and a tampered signature fail with HASH_FAILURE and SIG_CRYPTO_FAILURE, for OpenSSL too")
    func tampering() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (key, certificate) = try PKIFixture.signer()
        let detached = try CMSSigner.sign(Self.document, detached: true, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        var changed = Self.document
        changed[0] ^= 0x01
        let hash = try await PKIFixture.verifier.verify(detached, detachedContent: changed)
        #expect(hash.indication == .totalFailed)
        #expect(hash.subIndication == .hashFailure)
        #expect(try opensslVerifies(detached, detachedContent: changed, in: workspace).0 == false)

        // Attached: change one byte of the embedded content.
        var attached = try CMSSigner.sign(Self.document, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        let start = try #require(attached.firstRange(of: Self.document)).lowerBound
        attached[start + 3] ^= 0x01
        #expect(try await PKIFixture.verifier.verify(attached).subIndication == .hashFailure)

        // Change the last byte of the signature value (the signer info ends with it).
        var signature = try CMSSigner.sign(Self.document, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        let signerInfo = try CMSSignedData(berEncoded: signature).signerInfos[0]
        let at = try #require(signature.firstRange(of: signerInfo.signature)).upperBound - 1
        signature[at] ^= 0x01
        let crypto = try await PKIFixture.verifier.verify(signature)
        #expect(crypto.indication == .totalFailed)
        #expect(crypto.subIndication == .signatureCryptoFailure)
        #expect(try opensslVerifies(signature, in: workspace).0 == false)
    }

    @Test("a certificate expired at the signing time is EXPIRED; a revoked one is REVOKED by the CRL")
    func expiredAndRevoked() async throws {
        let yearsAgo = Date().addingTimeInterval(-2 * 365 * 86_400)
        let (oldKey, old) = try PKIFixture.signer(now: yearsAgo, validity: 365 * 86_400)
        let late = try CMSSigner.sign(Self.document, key: oldKey, certificate: old, chain: [PKIFixture.authority.issuing])
        let expired = try await PKIFixture.verifier.verify(late)
        #expect(expired.indication == .totalFailed)
        #expect(expired.subIndication == .expired)

        let (key, certificate) = try PKIFixture.signer()
        let cms = try CMSSigner.sign(Self.document, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        let crl = try PKIFixture.authority.revocationList(
            revoked: [RevokedCertificate(serial: Array(certificate.serialNumber.bytes), revokedAt: Date(), reason: .keyCompromise)],
            number: 1, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(3600))
        var verifier = PKIFixture.verifier
        verifier.revocation = try RevocationListChecker(crl: crl, issuer: PKIFixture.authority.issuing)
        let revoked = try await verifier.verify(cms)
        #expect(revoked.indication == .totalFailed)
        #expect(revoked.subIndication == .revoked)
        #expect(revoked.signers.first?.revokedAt != nil)
        #expect(try await PKIFixture.verifier.verify(cms).indication == .totalPassed)
    }

    @Test("a GOST signer is INDETERMINATE / UNSUPPORTED_ALGORITHM, and garbage is refused as malformed")
    func unsupported() async throws {
        let (key, certificate) = try PKIFixture.signer()
        let cms = try CMSSigner.sign(Self.document, key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        // Swap the signature algorithm for a Kazakh GOST one of the same encoded length as ecdsa-with-SHA256.
        let ecdsa = try DERWriter.bytes { try $0.serialize(OID.ecdsaWithSHA256) }
        let gost = try DERWriter.bytes { try $0.serialize(ASN1ObjectIdentifier(elements: [1, 2, 398, 3, 10, 1, 1, 2])) }
        #expect(ecdsa.count == gost.count)
        var swapped = cms
        let range = try #require(swapped.lastRange(of: ecdsa))
        swapped.replaceSubrange(range, with: gost)
        let report = try await PKIFixture.verifier.verify(swapped)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .unsupportedAlgorithm)

        await #expect(throws: CMSError.self) { try await PKIFixture.verifier.verify(Array("not a cms".utf8)) }
        await #expect(throws: CMSError.self) { try await PKIFixture.verifier.verify(Array(cms.prefix(100))) }
        let detached = try CMSSigner.sign(Self.document, detached: true, key: key, certificate: certificate, chain: [])
        #expect(try await PKIFixture.verifier.verify(detached).subIndication == .signedDataNotFound)
    }
}

extension Array where Element == UInt8 {
    func lastRange(of needle: [UInt8]) -> Range<Int>? {
        guard needle.count <= count else { return nil }
        for start in stride(from: count - needle.count, through: 0, by: -1) where self[start..<start + needle.count].elementsEqual(needle) {
            return start..<start + needle.count
        }
        return nil
    }
}
