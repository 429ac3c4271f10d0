import Crypto
import Foundation
import QoltanbaCore
import SwiftASN1
import X509

/// Tells whether a certificate is revoked: Qoltanba answers from its CRL for the certificates
/// its issuing CA signed.
public protocol RevocationChecker: Sendable {
    /// The revocation entry of `certificate`, or nil when it is not revoked (or not known here).
    func revocation(of certificate: Certificate) async throws -> RevokedCertificate?
}

/// Verifies every signer of a CMS SignedData: the content digest, the signature, the validity
/// of the certificate at the signing time, its chain to the trust roots, and revocation.
public struct CMSVerifier: Sendable {
    /// The roots a chain must end at.
    public var trustRoots: [Certificate]
    /// Intermediate CA certificates to build chains with, besides those in the CMS.
    public var intermediates: [Certificate]
    /// Where revocation is looked up.
    public var revocation: (any RevocationChecker)?

    /// A verifier trusting `trustRoots`.
    public init(trustRoots: [Certificate], intermediates: [Certificate] = [], revocation: (any RevocationChecker)? = nil) {
        self.trustRoots = trustRoots
        self.intermediates = intermediates
        self.revocation = revocation
    }

    /// Verifies a CMS.
    ///
    /// - Parameters:
    ///   - cms: the ContentInfo, BER or DER.
    ///   - detachedContent: the content of a detached signature.
    ///   - now: the time for signers without a signingTime attribute.
    /// - Throws: ``CMSError/malformed(_:)`` when the bytes are not a SignedData.
    public func verify(_ cms: [UInt8], detachedContent: [UInt8]? = nil, now: Date = Date()) async throws -> SignatureReport {
        let signedData = try CMSSignedData(berEncoded: cms)
        let content = signedData.content ?? detachedContent
        // One certificate of each issuer, subject and key: copies that differ elsewhere (in their
        // names or extensions) only multiply the paths a chain could take.
        var seen = Set<[UInt8]>()
        let certificates = signedData.certificates.filter { certificate in
            let key = (try? DERWriter.bytes { serializer in
                try serializer.serialize(certificate.issuer)
                try serializer.serialize(certificate.subject)
                try serializer.serialize(certificate.publicKey)
            }) ?? []
            return seen.insert(key).inserted
        }
        var signers: [SignatureReport.Signer] = []
        for signerInfo in try signedData.signerInfos {
            signers.append(await verify(
                signerInfo, contentType: signedData.contentType, content: content,
                certificates: certificates, now: now))
        }
        return SignatureReport(detached: signedData.content == nil, signers: signers)
    }

    private func verify(
        _ signerInfo: CMSSignerInfo, contentType: ASN1ObjectIdentifier, content: [UInt8]?,
        certificates: [Certificate], now: Date
    ) async -> SignatureReport.Signer {
        var report = SignatureReport.Signer(indication: .totalPassed)
        func outcome(_ indication: SignatureReport.Indication, _ sub: SignatureReport.SubIndication) -> SignatureReport.Signer {
            report.indication = indication
            report.subIndication = sub
            return report
        }

        guard let certificate = (certificates + intermediates).first(where: signerInfo.identifier.matches) else {
            return outcome(.indeterminate, .noSigningCertificateFound)
        }
        report.iin = certificate.subject.iin
        report.name = certificate.subject.commonName
        report.fullName = certificate.subject.fullName
        report.certificateSerial = certificate.serialNumber.bytes.hexString.uppercased()
        report.issuer = certificate.issuer.description
        if let time = signerInfo.signedAttributes?[OID.signingTime]?.first {
            report.signingTime = try? DERWriter.date(from: time)
        }

        guard let algorithm = Self.signatureAlgorithm(signerInfo) else {
            report.signatureAlgorithm = signerInfo.signatureAlgorithm.description
            return outcome(.indeterminate, .unsupportedAlgorithm)
        }
        report.signatureAlgorithm = Self.name(of: algorithm)
        guard let content else { return outcome(.indeterminate, .signedDataNotFound) }

        // The content digest, through the signed attributes when there are any.
        let signedBytes: [UInt8]
        if let attributes = signerInfo.signedAttributes, let attributeBytes = signerInfo.signedAttributesForSignature {
            let digest = Self.digest(content, algorithm: signerInfo.digestAlgorithm)
            guard let digestNode = attributes[OID.messageDigest]?.first,
                  let signedDigest = try? ASN1OctetString(derEncoded: digestNode),
                  Array(signedDigest.bytes) == digest,
                  let typeNode = attributes[OID.contentType]?.first,
                  (try? ASN1ObjectIdentifier(derEncoded: typeNode)) == contentType
            else {
                return outcome(.totalFailed, .hashFailure)
            }
            signedBytes = attributeBytes
        } else {
            signedBytes = content
        }
        guard certificate.publicKey.isValidSignature(signerInfo.signature, for: signedBytes, signatureAlgorithm: algorithm)
        else {
            return outcome(.totalFailed, .signatureCryptoFailure)
        }

        let signingTime = report.signingTime ?? now
        if signingTime > certificate.notValidAfter { return outcome(.totalFailed, .expired) }
        if signingTime < certificate.notValidBefore { return outcome(.totalFailed, .notYetValid) }

        var verifier = Verifier(rootCertificates: CertificateStore(trustRoots)) {
            RFC5280Policy(validationTime: signingTime)
        }
        let result = await verifier.validate(leaf: certificate, intermediates: CertificateStore(certificates + intermediates))
        guard case .validCertificate = result else { return outcome(.indeterminate, .noCertificateChainFound) }

        if let revocation, let entry = try? await revocation.revocation(of: certificate) {
            report.revokedAt = entry.revokedAt
            return outcome(.totalFailed, .revoked)
        }
        return report
    }

    /// The signature algorithm of a SignerInfo, paired with its digest algorithm when the
    /// SignerInfo names only the key type (OpenSSL writes `rsaEncryption`); nil when unsupported.
    static func signatureAlgorithm(_ signerInfo: CMSSignerInfo) -> Certificate.SignatureAlgorithm? {
        let digest = signerInfo.digestAlgorithm
        guard !OID.isGOST(digest), !OID.isGOST(signerInfo.signatureAlgorithm) else { return nil }
        switch (signerInfo.signatureAlgorithm, digest) {
        case (OID.ecdsaWithSHA256, OID.sha256), (OID.ecPublicKey, OID.sha256): return .ecdsaWithSHA256
        case (OID.ecdsaWithSHA384, OID.sha384), (OID.ecPublicKey, OID.sha384): return .ecdsaWithSHA384
        case (OID.ecdsaWithSHA512, OID.sha512), (OID.ecPublicKey, OID.sha512): return .ecdsaWithSHA512
        case (OID.sha256WithRSA, OID.sha256), (OID.rsaEncryption, OID.sha256): return .sha256WithRSAEncryption
        case (OID.sha384WithRSA, OID.sha384), (OID.rsaEncryption, OID.sha384): return .sha384WithRSAEncryption
        case (OID.sha512WithRSA, OID.sha512), (OID.rsaEncryption, OID.sha512): return .sha512WithRSAEncryption
        default: return nil
        }
    }

    /// The usual name of a signature algorithm, e.g. `ecdsa-with-SHA256`.
    static func name(of algorithm: Certificate.SignatureAlgorithm) -> String {
        switch algorithm {
        case .ecdsaWithSHA256: "ecdsa-with-SHA256"
        case .ecdsaWithSHA384: "ecdsa-with-SHA384"
        case .ecdsaWithSHA512: "ecdsa-with-SHA512"
        case .sha256WithRSAEncryption: "sha256WithRSAEncryption"
        case .sha384WithRSAEncryption: "sha384WithRSAEncryption"
        case .sha512WithRSAEncryption: "sha512WithRSAEncryption"
        default: String(describing: algorithm)
        }
    }

    static func digest(_ content: [UInt8], algorithm: ASN1ObjectIdentifier) -> [UInt8] {
        switch algorithm {
        case OID.sha384: Array(SHA384.hash(data: content))
        case OID.sha512: Array(SHA512.hash(data: content))
        default: Array(SHA256.hash(data: content))
        }
    }
}

extension SignatureReport.Signer {
    /// A signer's result with only its indication.
    public init(indication: SignatureReport.Indication) {
        self.indication = indication
    }
}
