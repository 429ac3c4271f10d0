import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes CAdES-BES CMS signatures: SignedData with SHA-256, the signed attributes contentType,
/// messageDigest, signingTime and signingCertificateV2 (RFC 5035), and the signer's certificate
/// with its chain.
public enum CMSSigner {
    /// Signs `content`, attached unless `detached`.
    ///
    /// - Parameters:
    ///   - content: the bytes to sign.
    ///   - detached: leave the content out of the SignedData.
    ///   - key: the signer's private key.
    ///   - certificate: the signer's certificate, matching `key`.
    ///   - chain: the issuing CA certificates to include.
    ///   - signingTime: the time to sign as signingTime.
    /// - Returns: the ContentInfo as DER.
    public static func sign(
        _ content: [UInt8], detached: Bool = false, key: SigningKey, certificate: Certificate,
        chain: [Certificate], signingTime: Date = Date()
    ) throws -> [UInt8] {
        var signedData = CMSSignedData(contentType: OID.data, content: detached ? nil : content)
        try add(to: &signedData, content: content, key: key, certificate: certificate, chain: chain, at: signingTime)
        return try signedData.derEncoded()
    }

    /// Adds a signer to an existing SignedData, keeping every earlier signer and certificate.
    ///
    /// - Parameters:
    ///   - existing: a CMS SignedData, from Qoltanba or another tool, BER or DER.
    ///   - detachedContent: the content, when the existing signature is detached.
    /// - Throws: ``CMSError`` when the CMS cannot be read or its content is missing.
    public static func cosign(
        _ existing: [UInt8], detachedContent: [UInt8]? = nil, key: SigningKey, certificate: Certificate,
        chain: [Certificate], signingTime: Date = Date()
    ) throws -> [UInt8] {
        var signedData = try CMSSignedData(berEncoded: existing)
        guard let content = signedData.content ?? detachedContent else { throw CMSError.contentMissing }
        try add(to: &signedData, content: content, key: key, certificate: certificate, chain: chain, at: signingTime)
        return try signedData.derEncoded()
    }

    private static func add(
        to signedData: inout CMSSignedData, content: [UInt8], key: SigningKey, certificate: Certificate,
        chain: [Certificate], at signingTime: Date
    ) throws {
        let attributes = try signedAttributes(
            contentType: signedData.contentType, digest: Array(SHA256.hash(data: content)),
            certificate: certificate, signingTime: signingTime)
        try signedData.addSigner(try CMSSignerInfo.make(certificate: certificate, attributes: attributes, key: key))
        for certificate in [certificate] + chain { try signedData.addCertificate(certificate) }
    }

    /// The four signed attributes, each encoded as an Attribute.
    static func signedAttributes(
        contentType: ASN1ObjectIdentifier, digest: [UInt8], certificate: Certificate, signingTime: Date
    ) throws -> [[UInt8]] {
        func attribute(_ type: ASN1ObjectIdentifier, _ value: (inout DER.Serializer) throws -> Void) throws -> [UInt8] {
            try DERWriter.bytes { serializer in
                try serializer.appendConstructedNode(identifier: .sequence) { attribute in
                    try attribute.serialize(type)
                    try attribute.appendConstructedNode(identifier: .set) { try value(&$0) }
                }
            }
        }
        let certificateDER = try DERWriter.bytes { try $0.serialize(certificate) }
        return [
            try attribute(OID.contentType) { try $0.serialize(contentType) },
            try attribute(OID.messageDigest) { try $0.serialize(ASN1OctetString(contentBytes: digest[...])) },
            try attribute(OID.signingTime) { try DERWriter.time(signingTime, to: &$0) },
            // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
            // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256 (so omitted), certHash OCTET STRING,
            //                            issuerSerial IssuerSerial }
            // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
            try attribute(OID.signingCertificateV2) { value in
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
            },
        ]
    }
}
