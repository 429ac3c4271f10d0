import Foundation
import SwiftASN1
import X509

/// A CMS SignedData (RFC 5652 §5) inside its ContentInfo, read from BER or DER and written as DER.
///
/// ```
/// ContentInfo ::= SEQUENCE { contentType ContentType, content [0] EXPLICIT ANY }
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms SET OF DigestAlgorithmIdentifier,
///   encapContentInfo EncapsulatedContentInfo,
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SET OF SignerInfo }
/// EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
///
/// Digest algorithms, certificates, CRLs and signer infos keep their encodings, so that adding a
/// signer leaves every earlier one byte for byte as it was.
public struct CMSSignedData: Sendable {
    /// Encoded DigestAlgorithmIdentifiers.
    var digestAlgorithms: [[UInt8]]
    /// The type of the signed content, usually id-data.
    public var contentType: ASN1ObjectIdentifier
    /// The attached content; nil when the signature is detached.
    public var content: [UInt8]?
    /// Encoded CertificateChoices.
    var certificateEncodings: [[UInt8]]
    /// Encoded RevocationInfoChoices.
    var crlEncodings: [[UInt8]]
    /// The signers: as read, or as added (then only their encoding is kept).
    enum SignerEntry: Sendable {
        case parsed(CMSSignerInfo)
        case encoded([UInt8])

        var encoded: [UInt8] {
            switch self {
            case .parsed(let info): info.encoded
            case .encoded(let bytes): bytes
            }
        }

        /// Qoltanba writes version 1 signers (issuer and serial number).
        var version: Int {
            switch self {
            case .parsed(let info): info.version
            case .encoded: 1
            }
        }
    }

    var signerEntries: [SignerEntry]

    /// The signers, in the order they appear (those added since reading included).
    public var signerInfos: [CMSSignerInfo] {
        get throws {
            try signerEntries.map { entry in
                switch entry {
                case .parsed(let info): info
                case .encoded(let bytes): try CMSSignerInfo(node: try DER.parse(bytes))
                }
            }
        }
    }

    /// A SignedData with no signer yet.
    init(contentType: ASN1ObjectIdentifier, content: [UInt8]?) {
        self.digestAlgorithms = []
        self.contentType = contentType
        self.content = content
        self.certificateEncodings = []
        self.crlEncodings = []
        self.signerEntries = []
    }

    /// The most values (tag-length headers) a CMS may hold: a document signed a few dozen times
    /// holds a few thousand; a content in BER chunks of 1,000 bytes at the largest upload, 21,000.
    public static let maximumValues = 100_000
    /// The most certificates a CMS may carry: path building grows with them.
    public static let maximumCertificates = 64
    /// The most signers a CMS may have.
    public static let maximumSigners = 64

    /// Reads a ContentInfo holding a SignedData.
    /// - Throws: ``CMSError/malformed(_:)`` when the bytes are not one, or hold more values,
    ///   certificates or signers than the limits above.
    public init(berEncoded bytes: [UInt8]) throws {
        guard BERShape.valueCount(of: bytes, isAtMost: Self.maximumValues) else {
            throw CMSError.malformed("the CMS holds more than \(Self.maximumValues) values")
        }
        do {
            let root = try BER.parse(bytes)
            let info = try root.expect(.sequence).children
            guard info.count == 2, try ASN1ObjectIdentifier(berEncoded: info[0]) == OID.signedData else {
                throw CMSError.malformed("not a CMS SignedData")
            }
            let wrapper = try info[1].expect(.context(0)).children
            guard wrapper.count == 1 else { throw CMSError.malformed("the SignedData wrapper is not one value") }
            var fields = try wrapper[0].expect(.sequence).children[...]
            guard fields.count >= 4 else { throw CMSError.malformed("the SignedData has too few fields") }
            _ = try Int(berEncoded: try fields.take())
            let digestAlgorithms = try fields.take().expect(.set).children
            _ = try digestAlgorithms.map { try $0.algorithmIdentifier }  // read now: a co-signer relies on them
            self.digestAlgorithms = digestAlgorithms.map { Array($0.encodedBytes) }

            let encapsulated = try fields.take().expect(.sequence).children
            guard let typeNode = encapsulated.first else { throw CMSError.malformed("no eContentType") }
            self.contentType = try ASN1ObjectIdentifier(berEncoded: typeNode)
            if encapsulated.count > 1 {
                let explicit = try encapsulated[1].expect(.context(0)).children
                guard let octets = explicit.first else { throw CMSError.malformed("an empty eContent") }
                self.content = Array(try octets.stringBytes)
            } else {
                self.content = nil
            }

            self.certificateEncodings = []
            self.crlEncodings = []
            if let next = fields.first, next.identifier == .context(0) {
                self.certificateEncodings = try fields.take().children.map { Array($0.encodedBytes) }
            }
            guard certificateEncodings.count <= Self.maximumCertificates else {
                throw CMSError.malformed("the CMS carries more than \(Self.maximumCertificates) certificates")
            }
            if let next = fields.first, next.identifier == .context(1) {
                self.crlEncodings = try fields.take().children.map { Array($0.encodedBytes) }
            }
            guard let signers = fields.first, fields.count == 1 else {
                throw CMSError.malformed("the SignedData's signerInfos are missing or followed by more fields")
            }
            let signerNodes = try signers.expect(.set).children
            guard signerNodes.count <= Self.maximumSigners else {
                throw CMSError.malformed("the CMS has more than \(Self.maximumSigners) signers")
            }
            self.signerEntries = try signerNodes.map { .parsed(try CMSSignerInfo(node: $0)) }
        } catch let error as CMSError {
            throw error
        } catch {
            throw CMSError.malformed("not a readable CMS structure (\(CMSError.kind(of: error)))")
        }
    }

    /// The certificates the SignedData carries (other certificate formats are skipped).
    public var certificates: [Certificate] {
        certificateEncodings.compactMap { try? Certificate(derEncoded: $0) }
    }

    /// Adds an encoded certificate unless an identical one is there.
    mutating func addCertificate(encoded: [UInt8]) {
        if !certificateEncodings.contains(encoded) { certificateEncodings.append(encoded) }
    }

    /// Adds an encoded SignerInfo, and its digest algorithm unless the SignedData lists it.
    mutating func addSigner(encoded: [UInt8], digestAlgorithm: ASN1ObjectIdentifier) throws {
        let known = try digestAlgorithms.map { try BER.parse($0).algorithmIdentifier }
        if !known.contains(digestAlgorithm) {
            digestAlgorithms.append(try DERWriter.bytes { try DERWriter.algorithm(digestAlgorithm, to: &$0) })
        }
        signerEntries.append(.encoded(encoded))
    }

    /// The OBJECT IDENTIFIER 1.2.840.113549.1.7.2 (id-signedData), DER.
    static let signedDataType: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    /// The ContentInfo as DER (the parts kept from a BER input are written as they came).
    public func derEncoded() throws -> [UInt8] {
        // Version 3 when any signer is identified by key identifier or the content is not id-data.
        let version = contentType != OID.data || signerEntries.contains { $0.version == 3 } ? 3 : 1
        var encapsulated: [DERTree] = [.raw(try DERWriter.bytes { try $0.serialize(contentType) })]
        if let content {
            encapsulated.append(.node(DERWriter.contextTag(0), [.node(DERWriter.octetStringTag, [.raw(content)])]))
        }
        var fields: [DERTree] = [
            .raw(try DERWriter.bytes { try $0.serialize(version) }),
            DERWriter.set(DERWriter.setTag, digestAlgorithms),
            .node(DERWriter.sequenceTag, encapsulated),
        ]
        if !certificateEncodings.isEmpty { fields.append(DERWriter.set(DERWriter.contextTag(0), certificateEncodings)) }
        if !crlEncodings.isEmpty { fields.append(DERWriter.set(DERWriter.contextTag(1), crlEncodings)) }
        fields.append(DERWriter.set(DERWriter.setTag, signerEntries.map(\.encoded)))
        return DERTree.node(DERWriter.sequenceTag, [
            .raw(Self.signedDataType),
            .node(DERWriter.contextTag(0), [.node(DERWriter.sequenceTag, fields)]),
        ]).bytes
    }
}

/// Why a CMS could not be read or made.
public enum CMSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not a CMS SignedData Qoltanba can read.
    case malformed(String)
    /// A detached signature was given no content to check or co-sign.
    case contentMissing
    /// The CMS signs a digest algorithm or with a key Qoltanba cannot use.
    case unsupported(String)

    /// What kind of parse error `error` is, in words that name no source location (an
    /// `ASN1Error`'s description carries the file and line that threw it).
    static func kind(of error: any Error) -> String {
        guard let error = error as? ASN1Error else { return "malformed encoding" }
        return switch error.code {
        case .truncatedASN1Field: "truncated field"
        case .unexpectedFieldType: "unexpected field type"
        case .tooFewOIDComponents: "invalid object identifier"
        case .invalidASN1IntegerEncoding: "invalid integer"
        case .unsupportedFieldLength: "unsupported field length"
        case .invalidStringRepresentation: "invalid string"
        default: "malformed encoding"
        }
    }

    public var description: String {
        switch self {
        case .malformed(let reason): reason
        case .contentMissing: "the signature is detached and no content was given"
        case .unsupported(let reason): reason
        }
    }
}
