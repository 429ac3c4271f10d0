import Foundation
import SwiftASN1
import X509

/// Answers revocation questions from a DER CRL, after checking that its issuer signed it.
public struct RevocationListChecker: RevocationChecker {
    /// The CA whose certificates the CRL speaks for.
    public let issuer: Certificate
    private let entries: [[UInt8]: RevokedCertificate]

    /// Reads and checks a CRL.
    /// - Throws: ``CMSError/malformed(_:)`` when it cannot be read or its signature does not verify.
    public init(crl: [UInt8], issuer: Certificate) throws {
        do {
            let list = try DER.parse(crl).children
            guard list.count == 3 else { throw CMSError.malformed("a CRL has three parts") }
            let algorithm = try list[1].algorithmIdentifier
            let signature = try ASN1BitString(derEncoded: list[2])
            let signatureAlgorithm: Certificate.SignatureAlgorithm =
                algorithm == OID.ecdsaWithSHA256 ? .ecdsaWithSHA256 : .sha256WithRSAEncryption
            guard issuer.publicKey.isValidSignature(
                signature.bytes, for: list[0].encodedBytes, signatureAlgorithm: signatureAlgorithm)
            else {
                throw CMSError.malformed("the CRL's signature does not verify with its issuer's key")
            }
            var fields = try list[0].children[...]
            _ = try fields.take()  // version
            _ = try fields.take()  // signature algorithm
            guard try DistinguishedName(derEncoded: try fields.take()) == issuer.subject else {
                throw CMSError.malformed("the CRL is not the issuer's")
            }
            _ = try fields.take()  // thisUpdate
            if fields.first.map({ [.utcTime, .generalizedTime].contains($0.identifier) }) ?? false {
                _ = try fields.take()  // nextUpdate
            }
            var entries: [[UInt8]: RevokedCertificate] = [:]
            if let revoked = fields.first, revoked.identifier == .sequence {
                for item in try revoked.children {
                    let parts = try item.children
                    guard parts.count >= 2 else { throw CMSError.malformed("a CRL entry lacks a field") }
                    let serial = Array(try parts[0].stringBytes)
                    var reason = RevokedCertificate.Reason.unspecified
                    if parts.count > 2 {
                        for ext in try parts[2].children {
                            let extParts = try ext.children
                            guard let type = extParts.first, let octets = extParts.last,
                                  try ASN1ObjectIdentifier(derEncoded: type) == OID.crlReason
                            else { continue }
                            let value = try DER.parse(try ASN1OctetString(derEncoded: octets).bytes)
                            reason = RevokedCertificate.Reason(rawValue: Int(try value.stringBytes.last ?? 0)) ?? .unspecified
                        }
                    }
                    entries[serial] = RevokedCertificate(
                        serial: serial, revokedAt: try DERWriter.date(from: parts[1]), reason: reason)
                }
            }
            self.entries = entries
            self.issuer = issuer
        } catch let error as CMSError {
            throw error
        } catch {
            throw CMSError.malformed("not a readable CRL (\(CMSError.kind(of: error)))")
        }
    }

    /// A checker answering from revocation entries known otherwise (the records a CRL is made from).
    public init(entries: [RevokedCertificate], issuer: Certificate) {
        self.entries = Dictionary(entries.map { ($0.serial, $0) }, uniquingKeysWith: { first, _ in first })
        self.issuer = issuer
    }

    /// The entry of a certificate of this issuer, when revoked.
    public func entry(for certificate: Certificate) -> RevokedCertificate? {
        guard certificate.issuer == issuer.subject else { return nil }
        return entries[Array(certificate.serialNumber.bytes)]
    }

    public func revocation(of certificate: Certificate) async throws -> RevokedCertificate? {
        entry(for: certificate)
    }
}
