import Foundation
import SwiftASN1
import X509

/// One signer of a SignedData (RFC 5652 §5.3).
///
/// ```
/// SignerInfo ::= SEQUENCE {
///   version CMSVersion,
///   sid SignerIdentifier,
///   digestAlgorithm DigestAlgorithmIdentifier,
///   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
///   signatureAlgorithm SignatureAlgorithmIdentifier,
///   signature SignatureValue,
///   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
/// SignerIdentifier ::= CHOICE {
///   issuerAndSerialNumber IssuerAndSerialNumber,
///   subjectKeyIdentifier [0] SubjectKeyIdentifier }
/// ```
public struct CMSSignerInfo: Sendable {
    /// How a signer names its certificate.
    public enum Identifier: Hashable, Sendable {
        /// The certificate's issuer and serial number (the serial as INTEGER content bytes).
        case issuerAndSerialNumber(issuer: DistinguishedName, serial: [UInt8])
        /// The certificate's subject key identifier.
        case subjectKeyIdentifier([UInt8])

        /// Whether `certificate` is the one named.
        public func matches(_ certificate: Certificate) -> Bool {
            switch self {
            case .issuerAndSerialNumber(let issuer, let serial):
                return certificate.issuer == issuer && Array(certificate.serialNumber.bytes) == serial
            case .subjectKeyIdentifier(let identifier):
                let ski = try? certificate.extensions.subjectKeyIdentifier
                return ski.map { Array($0.keyIdentifier) == identifier } ?? false
            }
        }
    }

    /// The SignerInfo as encoded; written back unchanged.
    public let encoded: [UInt8]
    /// 1 for issuer-and-serial identification, 3 for key identifiers.
    public let version: Int
    /// Which certificate signed.
    public let identifier: Identifier
    /// The digest algorithm of the content and the signed attributes.
    public let digestAlgorithm: ASN1ObjectIdentifier
    /// The signed attributes by type (each attribute's values as nodes); nil when there are none.
    public let signedAttributes: [ASN1ObjectIdentifier: [ASN1Node]]?
    /// The signed attributes in their DER `SET OF` form: what the signature covers.
    let signedAttributesForSignature: [UInt8]?
    /// The signature algorithm as written (OpenSSL writes plain `rsaEncryption`).
    public let signatureAlgorithm: ASN1ObjectIdentifier
    /// The signature value.
    public let signature: [UInt8]

    init(node: ASN1Node) throws {
        var fields = try node.expect(.sequence).children[...]
        guard fields.count >= 5 else { throw CMSError.malformed("a SignerInfo has too few fields") }
        self.encoded = Array(node.encodedBytes)
        self.version = try Int(berEncoded: try fields.take())

        let sid = try fields.take()
        if sid.identifier == .sequence {
            let parts = try sid.children
            guard parts.count == 2, parts[1].identifier == .integer else {
                throw CMSError.malformed("a malformed IssuerAndSerialNumber")
            }
            let issuer = try DistinguishedName(derEncoded: parts[0])
            self.identifier = .issuerAndSerialNumber(issuer: issuer, serial: Array(try parts[1].stringBytes))
        } else if sid.identifier == .context(0) {
            self.identifier = .subjectKeyIdentifier(Array(try sid.stringBytes))
        } else {
            throw CMSError.malformed("an unknown SignerIdentifier")
        }

        self.digestAlgorithm = try fields.take().algorithmIdentifier

        if let attributesNode = fields.first, attributesNode.identifier == .context(0) {
            _ = try fields.take()
            var attributes: [ASN1ObjectIdentifier: [ASN1Node]] = [:]
            for attribute in try attributesNode.children {
                let parts = try attribute.expect(.sequence).children
                guard parts.count == 2 else { throw CMSError.malformed("a malformed attribute") }
                attributes[try ASN1ObjectIdentifier(berEncoded: parts[0])] = try parts[1].expect(.set).children
            }
            self.signedAttributes = attributes
            // The signature covers the attributes with the SET OF tag in place of [0] IMPLICIT.
            self.signedAttributesForSignature = [DERWriter.setTag] + attributesNode.encodedBytes.dropFirst()
        } else {
            self.signedAttributes = nil
            self.signedAttributesForSignature = nil
        }

        guard fields.count >= 2 else { throw CMSError.malformed("a SignerInfo without a signature") }
        self.signatureAlgorithm = try fields.take().algorithmIdentifier
        self.signature = Array(try fields.take().expect(.octetString).stringBytes)
    }
}
