import Foundation
import SwiftASN1
import X509

/// A revoked certificate as the CRL lists it.
public struct RevokedCertificate: Hashable, Sendable {
    /// RFC 5280 CRLReason codes Qoltanba records.
    public enum Reason: Int, CaseIterable, Hashable, Sendable {
        case unspecified = 0
        case keyCompromise = 1
        case affiliationChanged = 3
        case superseded = 4
        case cessationOfOperation = 5
        case certificateHold = 6

        /// The CLI's name for the reason, e.g. `key-compromise`.
        public var name: String {
            switch self {
            case .unspecified: "unspecified"
            case .keyCompromise: "key-compromise"
            case .affiliationChanged: "affiliation-changed"
            case .superseded: "superseded"
            case .cessationOfOperation: "cessation-of-operation"
            case .certificateHold: "certificate-hold"
            }
        }

        /// The reason with this CLI name.
        public init?(name: String) {
            guard let reason = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = reason
        }
    }

    /// The certificate's serial number bytes (INTEGER content).
    public var serial: [UInt8]
    /// When it was revoked.
    public var revokedAt: Date
    /// Why.
    public var reason: Reason

    /// Creates an entry.
    public init(serial: [UInt8], revokedAt: Date, reason: Reason) {
        self.serial = serial
        self.revokedAt = revokedAt
        self.reason = reason
    }
}

extension CertificateAuthority {
    /// A DER CRL (RFC 5280 §5) signed by the issuing CA.
    ///
    /// ```
    /// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue BIT STRING }
    /// TBSCertList ::= SEQUENCE { version v2, signature, issuer Name, thisUpdate Time, nextUpdate Time,
    ///   revokedCertificates SEQUENCE OF SEQUENCE { userCertificate, revocationDate, crlEntryExtensions } OPTIONAL,
    ///   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
    /// ```
    ///
    /// - Parameters:
    ///   - revoked: the revoked certificates.
    ///   - number: the CRL number, increasing with every CRL.
    ///   - thisUpdate: when the CRL is issued.
    ///   - nextUpdate: when the next one will be, at the latest.
    public func revocationList(
        revoked: [RevokedCertificate], number: Int64, thisUpdate: Date, nextUpdate: Date
    ) throws -> [UInt8] {
        let signatureOID = issuingKey.algorithm == .p256 ? OID.ecdsaWithSHA256 : OID.sha256WithRSA
        let authorityKeyID = try issuing.extensions.subjectKeyIdentifier?.keyIdentifier ?? []
        let tbs = try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { tbs in
                try tbs.serialize(1)
                try DERWriter.algorithm(signatureOID, nullParameters: issuingKey.algorithm == .rsa2048, to: &tbs)
                try tbs.serialize(issuing.subject)
                try DERWriter.time(thisUpdate, to: &tbs)
                try DERWriter.time(nextUpdate, to: &tbs)
                if !revoked.isEmpty {
                    try tbs.appendConstructedNode(identifier: .sequence) { list in
                        for entry in revoked {
                            try list.appendConstructedNode(identifier: .sequence) { item in
                                item.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: entry.serial) }
                                try DERWriter.time(entry.revokedAt, to: &item)
                                try item.appendConstructedNode(identifier: .sequence) { extensions in
                                    let reason = try DERWriter.bytes {
                                        $0.appendPrimitiveNode(identifier: .enumerated) { $0.append(UInt8(entry.reason.rawValue)) }
                                    }
                                    try Self.appendExtension(OID.crlReason, reason, to: &extensions)
                                }
                            }
                        }
                    }
                }
                try tbs.appendConstructedNode(identifier: .context(0)) { explicit in
                    try explicit.appendConstructedNode(identifier: .sequence) { extensions in
                        let aki = try DERWriter.bytes { s in
                            try s.appendConstructedNode(identifier: .sequence) { sequence in
                                sequence.appendPrimitiveNode(identifier: .context(0)) { $0.append(contentsOf: authorityKeyID) }
                            }
                        }
                        try Self.appendExtension(OID.authorityKeyIdentifier, aki, to: &extensions)
                        try Self.appendExtension(OID.crlNumber, try DERWriter.bytes { try $0.serialize(number) }, to: &extensions)
                    }
                }
            }
        }
        let signature = try issuingKey.sign(tbs)
        return try DERWriter.bytes { serializer in
            try serializer.appendConstructedNode(identifier: .sequence) { list in
                list.serializeRawBytes(tbs)
                try DERWriter.algorithm(signatureOID, nullParameters: issuingKey.algorithm == .rsa2048, to: &list)
                try list.serialize(ASN1BitString(bytes: signature[...]))
            }
        }
    }

    private static func appendExtension(
        _ oid: ASN1ObjectIdentifier, _ value: [UInt8], to serializer: inout DER.Serializer
    ) throws {
        try serializer.appendConstructedNode(identifier: .sequence) { ext in
            try ext.serialize(oid)
            try ext.serialize(ASN1OctetString(contentBytes: value[...]))
        }
    }
}
