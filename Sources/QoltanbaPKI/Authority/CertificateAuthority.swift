import Crypto
import Foundation
import QoltanbaCore
import SwiftASN1
import X509

/// Qoltanba's two-level certificate authority: a root that signs only the issuing CA, and the
/// issuing CA that signs signer certificates and the CRL.
public struct CertificateAuthority: Sendable {
    /// The self-signed root.
    public let root: Certificate
    /// The issuing CA, signed by the root.
    public let issuing: Certificate
    /// The issuing CA's key.
    let issuingKey: SigningKey

    /// An authority from stored certificates and the issuing key.
    public init(root: Certificate, issuing: Certificate, issuingKey: SigningKey) {
        self.root = root
        self.issuing = issuing
        self.issuingKey = issuingKey
    }

    /// A new root (valid 20 years) and issuing CA (10 years), both ECDSA P-256.
    ///
    /// - Parameters:
    ///   - name: the authority's name, e.g. `Qoltanba Sandbox`.
    ///   - now: the start of validity.
    /// - Returns: the authority and both private keys, for the caller to encrypt and store.
    public static func create(name: String, now: Date = Date()) throws
        -> (authority: CertificateAuthority, rootKey: SigningKey, issuingKey: SigningKey)
    {
        let rootKey = try SigningKey.generate(.p256)
        let issuingKey = try SigningKey.generate(.p256)
        let rootName = try DistinguishedName {
            CountryName("KZ")
            OrganizationName(name)
            CommonName("\(name) Root CA")
        }
        let issuingName = try DistinguishedName {
            CountryName("KZ")
            OrganizationName(name)
            CommonName("\(name) Issuing CA")
        }
        let start = now.addingTimeInterval(-300)
        let root = try Certificate(
            version: .v3, serialNumber: randomSerialNumber(), publicKey: rootKey.publicKey,
            notValidBefore: start, notValidAfter: start.addingTimeInterval(20 * 365 * 86_400),
            issuer: rootName, subject: rootName, signatureAlgorithm: rootKey.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: rootKey.publicKey)
            },
            issuerPrivateKey: rootKey.certificateKey)
        let issuing = try Certificate(
            version: .v3, serialNumber: randomSerialNumber(), publicKey: issuingKey.publicKey,
            notValidBefore: start, notValidAfter: start.addingTimeInterval(10 * 365 * 86_400),
            issuer: rootName, subject: issuingName, signatureAlgorithm: rootKey.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: issuingKey.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: rootKey.publicKey).keyIdentifier)
            },
            issuerPrivateKey: rootKey.certificateKey)
        return (CertificateAuthority(root: root, issuing: issuing, issuingKey: issuingKey), rootKey, issuingKey)
    }

    /// A random positive 16-byte serial number.
    public static func randomSerialNumber() -> Certificate.SerialNumber {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// Issues a signer certificate in the Kazakh NCA profile.
    ///
    /// - Parameters:
    ///   - identity: who the certificate names.
    ///   - publicKey: the signer's public key.
    ///   - crlURL: where relying parties fetch the CRL (`QOLTANBA_PUBLIC_URL/pki/crl`).
    ///   - now: the start of validity.
    ///   - validity: how long the certificate is valid, in seconds.
    public func issueSignerCertificate(
        for identity: SignerIdentity, publicKey: Certificate.PublicKey, crlURL: String,
        now: Date = Date(), validity: TimeInterval = 365 * 86_400
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: Self.randomSerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(validity),
            issuer: issuing.subject, subject: try identity.distinguishedName(),
            signatureAlgorithm: issuingKey.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
                try ExtendedKeyUsage([.emailProtection, ExtendedKeyUsage.Usage(oid: OID.individualKeyUser)])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try issuing.extensions.subjectKeyIdentifier?.keyIdentifier)
                try Self.certificatePolicies([OID.individualSigningPolicy])
                try Self.crlDistributionPoint(crlURL)
            },
            issuerPrivateKey: issuingKey.certificateKey)
    }

    /// `certificatePolicies ::= SEQUENCE OF PolicyInformation { policyIdentifier }`.
    static func certificatePolicies(_ policies: [ASN1ObjectIdentifier]) throws -> Certificate.Extension {
        let value = try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { list in
                for policy in policies {
                    try list.appendConstructedNode(identifier: .sequence) { try $0.serialize(policy) }
                }
            }
        }
        return Certificate.Extension(oid: OID.certificatePolicies, critical: false, value: value[...])
    }

    /// `CRLDistributionPoints ::= SEQUENCE OF DistributionPoint`, one point with a full name URI:
    /// `DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }`.
    static func crlDistributionPoint(_ url: String) throws -> Certificate.Extension {
        let value = try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { points in
                try points.appendConstructedNode(identifier: .sequence) { point in
                    try point.appendConstructedNode(identifier: .context(0)) { name in
                        try name.appendConstructedNode(identifier: .context(0)) { fullName in
                            try fullName.serialize(GeneralName.uniformResourceIdentifier(url))
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: OID.crlDistributionPoints, critical: false, value: value[...])
    }
}
