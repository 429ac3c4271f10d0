import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes CAdES-BES CMS signatures: SignedData with SHA-256, the signed attributes contentType,
/// messageDigest, signingTime and signingCertificateV2 (RFC 5035), and the signer's certificate
/// with its chain.
///
/// Everything that depends only on the signer (certificates, the signer identifier, the
/// signingCertificateV2 attribute) is encoded once, when the signer is made; a signature then
/// costs a digest, a few attribute bytes and the signature itself.
public struct CMSSigner: Sendable {
    let key: SigningKey
    /// The signer's certificate followed by the chain, DER.
    let certificateEncodings: [[UInt8]]
    /// IssuerAndSerialNumber, DER.
    let signerIdentifier: [UInt8]
    /// The signingCertificateV2 Attribute, DER.
    let signingCertificateAttribute: [UInt8]
    let certificate: Certificate
    /// The SignerInfo's signatureAlgorithm, DER.
    let signatureAlgorithm: [UInt8]

    static let version1: [UInt8] = [0x02, 0x01, 0x01]
    /// The AlgorithmIdentifier of SHA-256 (2.16.840.1.101.3.4.2.1, parameters absent), DER.
    static let sha256Algorithm: [UInt8] = [0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]

    /// A signer with its key, its certificate and the CA certificates to include.
    public init(key: SigningKey, certificate: Certificate, chain: [Certificate]) throws {
        self.key = key
        self.certificate = certificate
        let certificateDER = try certificate.derBytes()
        self.certificateEncodings = try [certificateDER] + chain.map { try $0.derBytes() }
        let issuerAndSerial = try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { sid in
                try sid.serialize(certificate.issuer)
                sid.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: certificate.serialNumber.bytes) }
            }
        }
        self.signerIdentifier = issuerAndSerial
        self.signatureAlgorithm = try DERWriter.bytes { serializer in
            switch key {
            case .p256: try DERWriter.algorithm(OID.ecdsaWithSHA256, to: &serializer)
            case .rsa: try DERWriter.algorithm(OID.sha256WithRSA, nullParameters: true, to: &serializer)
            }
        }
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
        // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256 (so omitted), certHash OCTET STRING,
        //                            issuerSerial IssuerSerial }
        // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
        self.signingCertificateAttribute = try Self.attribute(OID.signingCertificateV2) { value in
            try value.appendConstructedNode(identifier: .sequence) { signingCertificate in
                try signingCertificate.appendConstructedNode(identifier: .sequence) { certs in
                    try certs.appendConstructedNode(identifier: .sequence) { certID in
                        let hash = Array(SHA256.hash(data: certificateDER))
                        try certID.serialize(ASN1OctetString(contentBytes: hash[...]))
                        try certID.appendConstructedNode(identifier: .sequence) { issuerSerial in
                            try issuerSerial.appendConstructedNode(identifier: .sequence) { names in
                                try names.serialize(GeneralName.directoryName(certificate.issuer))
                            }
                            issuerSerial.appendPrimitiveNode(identifier: .integer) {
                                $0.append(contentsOf: certificate.serialNumber.bytes)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Signs `content`, attached unless `detached`.
    /// - Returns: the ContentInfo as DER.
    public func sign(_ content: [UInt8], detached: Bool = false, signingTime: Date = Date()) throws -> [UInt8] {
        var signedData = CMSSignedData(contentType: OID.data, content: detached ? nil : content)
        try add(to: &signedData, content: content, at: signingTime)
        return try signedData.derEncoded()
    }

    /// Adds this signer to an existing SignedData, keeping every earlier signer and certificate.
    ///
    /// - Parameters:
    ///   - existing: a CMS SignedData, from Qoltanba or another tool, BER or DER.
    ///   - detachedContent: the content, when the existing signature is detached.
    /// - Throws: ``CMSError`` when the CMS cannot be read or its content is missing.
    public func cosign(_ existing: [UInt8], detachedContent: [UInt8]? = nil, signingTime: Date = Date()) throws -> [UInt8] {
        var signedData = try CMSSignedData(berEncoded: existing)
        guard let content = signedData.content ?? detachedContent else { throw CMSError.contentMissing }
        try add(to: &signedData, content: content, at: signingTime)
        return try signedData.derEncoded()
    }

    private func add(to signedData: inout CMSSignedData, content: [UInt8], at signingTime: Date) throws {
        let digest = Array(SHA256.hash(data: content))
        let contentType = signedData.contentType
        let attributes = [
            try Self.attribute(OID.contentType) { try $0.serialize(contentType) },
            try Self.attribute(OID.messageDigest) { try $0.serialize(ASN1OctetString(contentBytes: digest[...])) },
            try Self.attribute(OID.signingTime) { try DERWriter.time(signingTime, to: &$0) },
            signingCertificateAttribute,
        ]
        let attributeSet = DERWriter.set(DERWriter.setTag, attributes).bytes
        let signature = try key.sign(attributeSet)
        var implicitAttributes = attributeSet
        implicitAttributes[0] = DERWriter.contextTag(0)  // [0] IMPLICIT here; the signature covers the SET OF form

        let signerInfo = DERWriter.node(DERWriter.sequenceTag, [
            Self.version1, signerIdentifier, Self.sha256Algorithm, implicitAttributes, signatureAlgorithm,
            DERWriter.node(DERWriter.octetStringTag, [signature]),
        ])
        try signedData.addSigner(encoded: signerInfo, digestAlgorithm: OID.sha256)
        for encoding in certificateEncodings { signedData.addCertificate(encoded: encoding) }
    }

    /// An Attribute: `SEQUENCE { attrType, attrValues SET OF value }` with one value.
    static func attribute(_ type: ASN1ObjectIdentifier, _ value: (inout DER.Serializer) throws -> Void) throws -> [UInt8] {
        try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { attribute in
                try attribute.serialize(type)
                try attribute.appendConstructedNode(identifier: .set) { try value(&$0) }
            }
        }
    }
}

extension CMSSigner {
    /// Signs `content` once: ``init(key:certificate:chain:)`` then ``sign(_:detached:signingTime:)``.
    public static func sign(
        _ content: [UInt8], detached: Bool = false, key: SigningKey, certificate: Certificate,
        chain: [Certificate], signingTime: Date = Date()
    ) throws -> [UInt8] {
        try CMSSigner(key: key, certificate: certificate, chain: chain).sign(content, detached: detached, signingTime: signingTime)
    }

    /// Co-signs once: ``init(key:certificate:chain:)`` then ``cosign(_:detachedContent:signingTime:)``.
    public static func cosign(
        _ existing: [UInt8], detachedContent: [UInt8]? = nil, key: SigningKey, certificate: Certificate,
        chain: [Certificate], signingTime: Date = Date()
    ) throws -> [UInt8] {
        try CMSSigner(key: key, certificate: certificate, chain: chain)
            .cosign(existing, detachedContent: detachedContent, signingTime: signingTime)
    }
}
