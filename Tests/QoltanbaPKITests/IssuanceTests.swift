import Foundation
@testable import QoltanbaPKI
import QoltanbaCore
import SwiftASN1
import Testing
import X509

@Suite("Certificate authority and issuance")
struct IssuanceTests {
    @Test("a signer certificate carries every field of the NCA profile", arguments: SigningKey.Algorithm.allCases)
    func profile(_ algorithm: SigningKey.Algorithm) throws {
        let (key, issued) = try PKIFixture.signer(algorithm)
        let certificate = try Certificate(derEncoded: try issued.derBytes())

        // Subject.
        let subject = certificate.subject
        #expect(subject.commonName == "НҰРЛАНОВА ӘСЕЛ")
        #expect(subject.firstValue(of: SignerIdentity.surnameOID) == "НҰРЛАНОВА")
        #expect(subject.firstValue(of: SignerIdentity.givenNameOID) == "ҚАЙРАТҚЫЗЫ")
        #expect(subject.firstValue(of: SignerIdentity.serialNumberOID) == "IIN871008401427")
        #expect(subject.iin == "871008401427")
        #expect(subject.firstValue(of: .RDNAttributeType.countryName) == "KZ")
        #expect(certificate.issuer == PKIFixture.authority.issuing.subject)

        // Key usage: digitalSignature + nonRepudiation, critical.
        let keyUsageExtension = try #require(certificate.extensions[oid: .X509ExtensionID.keyUsage])
        #expect(keyUsageExtension.critical)
        let keyUsage = try #require(try certificate.extensions.keyUsage)
        #expect(keyUsage.digitalSignature && keyUsage.nonRepudiation)
        #expect(!keyUsage.keyCertSign && !keyUsage.keyEncipherment)

        // The individual key-user OID, and the signing policy.
        let usages = try #require(try certificate.extensions.extendedKeyUsage)
        #expect(usages.contains(ExtendedKeyUsage.Usage(oid: OID.individualKeyUser)))
        let policies = try #require(certificate.extensions[oid: OID.certificatePolicies])
        let policy = try DER.parse(policies.value).children[0].children[0]
        #expect(try ASN1ObjectIdentifier(derEncoded: policy) == OID.individualSigningPolicy)

        // Key identifiers.
        let ski = try #require(try certificate.extensions.subjectKeyIdentifier)
        #expect(ski == SubjectKeyIdentifier(hash: key.publicKey))
        let aki = try #require(try certificate.extensions.authorityKeyIdentifier)
        #expect(aki.keyIdentifier == (try PKIFixture.authority.issuing.extensions.subjectKeyIdentifier?.keyIdentifier))

        // The CRL distribution point.
        let distribution = try #require(certificate.extensions[oid: OID.crlDistributionPoints])
        let uriNode = try DER.parse(distribution.value).children[0].children[0].children[0].children[0]
        #expect(try GeneralName(derEncoded: uriNode) == .uniformResourceIdentifier(PKIFixture.crlURL))

        // A random positive 16-byte serial, a year's validity, the requested algorithm.
        #expect(certificate.serialNumber.bytes.count == 16)
        #expect(certificate.serialNumber.bytes.first! & 0x80 == 0)
        let validity = certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore)
        #expect(abs(validity - (365 * 86_400 + 60)) < 2)
        #expect(certificate.publicKey == key.publicKey)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
    }

    @Test("serials differ between certificates")
    func distinctSerials() throws {
        let serials = try (0..<20).map { _ in try PKIFixture.signer().1.serialNumber }
        #expect(Set(serials).count == 20)
    }

    @Test("OpenSSL accepts the chain and shows the profile")
    func opensslChain() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (_, certificate) = try PKIFixture.signer()
        try workspace.write("root.pem", pem: [PKIFixture.authority.root])
        try workspace.write("issuing.pem", pem: [PKIFixture.authority.issuing])
        try workspace.write("leaf.pem", pem: [certificate])
        let verified = try workspace.openssl(["verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem"])
        #expect(verified.status == 0, "\(verified.output)")
        let text = try workspace.openssl(["x509", "-in", "leaf.pem", "-noout", "-text", "-nameopt", "utf8,sep_comma_plus"])
        #expect(text.output.contains("serialNumber=IIN871008401427"))
        #expect(text.output.contains("Digital Signature, Non Repudiation"))
        #expect(text.output.contains("1.2.398.3.3.4.1.1"))
        #expect(text.output.contains("Policy: 1.2.398.3.3.2.3"))
        #expect(text.output.contains("URI:\(PKIFixture.crlURL)"))
    }

    @Test("the CRL is signed by the issuing CA and lists revoked serials with their reasons")
    func revocationList() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (_, revoked) = try PKIFixture.signer()
        let (_, good) = try PKIFixture.signer()
        let entry = RevokedCertificate(serial: Array(revoked.serialNumber.bytes), revokedAt: Date(), reason: .keyCompromise)
        let crl = try PKIFixture.authority.revocationList(
            revoked: [entry], number: 7, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(86_400))
        try workspace.write("crl.der", crl)
        try workspace.write("issuing.pem", pem: [PKIFixture.authority.issuing])
        let checked = try workspace.openssl(["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "issuing.pem", "-noout", "-text"])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("verify OK"))
        let serialHex = revoked.serialNumber.bytes.map { String(format: "%02X", $0) }.joined()
        #expect(checked.output.contains(serialHex))
        #expect(checked.output.contains("Key Compromise"))
        #expect(checked.output.contains("X509v3 CRL Number"))

        // OpenSSL's own chain check with the CRL: the revoked leaf fails, the other passes.
        try workspace.openssl(["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"])
        try workspace.write("root.pem", pem: [PKIFixture.authority.root])
        try workspace.write("revoked.pem", pem: [revoked])
        try workspace.write("good.pem", pem: [good])
        let options = ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem"]
        #expect(try workspace.openssl(options + ["good.pem"]).status == 0)
        let refused = try workspace.openssl(options + ["revoked.pem"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("revoked"))

        // Qoltanba's reader of the same CRL.
        let checker = try RevocationListChecker(crl: crl, issuer: PKIFixture.authority.issuing)
        #expect(checker.entry(for: revoked)?.reason == .keyCompromise)
        #expect(checker.entry(for: good) == nil)
    }
}
