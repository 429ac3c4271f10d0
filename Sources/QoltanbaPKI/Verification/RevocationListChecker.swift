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
            let algorithm = try ASN1ObjectIdentifier(derEncoded: try list[1].children[0])
            let signature = try ASN1BitString(derEncoded: list[2])
            let signatureAlgorithm: Certificate.SignatureAlgorithm =
                algorithm == OID.ecdsaWithSHA256 ? .ecdsaWithSHA256 : .sha256WithRSAEncryption
            guard issuer.publicKey.isValidSignature(
                signature.bytes, for: list[0].encodedBytes, signatureAlgorithm: signatureAlgorithm)
            else {
                throw CMSError.malformed("the CRL's signature does not verify with its issuer's key")
            }
            var fields = try list[0].children[...]
            _ = fields.removeFirst()  // version
            _ = fields.removeFirst()  // signature algorithm
            guard try DistinguishedName(derEncoded: fields.removeFirst()) == issuer.subject else {
                throw CMSError.malformed("the CRL is not the issuer's")
            }
            _ = fields.removeFirst()  // thisUpdate
            if fields.first.map({ [.utcTime, .generalizedTime].contains($0.identifier) }) ?? false {
                _ = fields.removeFirst()  // nextUpdate
            }
            var entries: [[UInt8]: RevokedCertificate] = [:]
            if let revoked = fields.first, revoked.identifier == .sequence {
                for item in try revoked.children {
                    let parts = try item.children
                    let serial = Array(try parts[0].stringBytes)
                    var reason = RevokedCertificate.Reason.unspecified
                    if parts.count > 2 {
                        for ext in try parts[2].children {
                            let extParts = try ext.children
                            guard try ASN1ObjectIdentifier(derEncoded: extParts[0]) == OID.crlReason else { continue }
                            let value = try DER.parse(try ASN1OctetString(derEncoded: extParts.last!).bytes)
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
            throw CMSError.malformed("not a readable CRL (\(error))")
        }
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
