import Crypto
import CryptoExtras
import Foundation
import X509

/// A private signing key of one of the algorithms Qoltanba issues: ECDSA P-256 (the default) or
/// RSA-2048.
public enum SigningKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)

    /// The algorithms a signer's key may use.
    public enum Algorithm: String, Sendable, CaseIterable, Codable {
        /// ECDSA on NIST P-256 with SHA-256.
        case p256 = "ecdsa-p256"
        /// RSA-2048, PKCS #1 v1.5 with SHA-256.
        case rsa2048 = "rsa-2048"
    }

    /// A new random key.
    public static func generate(_ algorithm: Algorithm) throws -> SigningKey {
        switch algorithm {
        case .p256: .p256(P256.Signing.PrivateKey())
        case .rsa2048: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
    }

    /// The key's algorithm.
    public var algorithm: Algorithm {
        switch self {
        case .p256: .p256
        case .rsa: .rsa2048
        }
    }

    /// The key as PKCS #8 DER: what key custody encrypts. Never log or return it.
    public var pkcs8: [UInt8] {
        switch self {
        case .p256(let key): Array(key.derRepresentation)
        case .rsa(let key): Array(key.pkcs8DERRepresentation)
        }
    }

    /// Reads a PKCS #8 DER key of the given algorithm.
    public init(pkcs8: [UInt8], algorithm: Algorithm) throws {
        switch algorithm {
        case .p256: self = .p256(try P256.Signing.PrivateKey(derRepresentation: pkcs8))
        case .rsa2048: self = .rsa(try _RSA.Signing.PrivateKey(derRepresentation: pkcs8))
        }
    }

    /// The key as swift-certificates uses it to sign certificates.
    public var certificateKey: Certificate.PrivateKey {
        switch self {
        case .p256(let key): Certificate.PrivateKey(key)
        case .rsa(let key): Certificate.PrivateKey(key)
        }
    }

    /// The public half.
    public var publicKey: Certificate.PublicKey {
        switch self {
        case .p256(let key): Certificate.PublicKey(key.publicKey)
        case .rsa(let key): Certificate.PublicKey(key.publicKey)
        }
    }

    /// The signature algorithm this key signs with (always SHA-256).
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .p256: .ecdsaWithSHA256
        case .rsa: .sha256WithRSAEncryption
        }
    }

    /// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from the 64 bytes `r || s`.
    static func derECDSASignature(raw: [UInt8]) -> [UInt8] {
        func integer(_ half: ArraySlice<UInt8>) -> DERTree {
            var value = Array(half.drop { $0 == 0 })
            if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return .node(0x02, [.raw(value)])
        }
        let half = raw.count / 2
        return DERTree.node(0x30, [integer(raw[..<half]), integer(raw[half...])]).bytes
    }

    /// Signs `bytes` with SHA-256: a DER ECDSA signature, or an RSA PKCS #1 v1.5 signature.
    public func sign(_ bytes: some DataProtocol) throws -> [UInt8] {
        switch self {
        case .p256(let key): Self.derECDSASignature(raw: Array(try key.signature(for: bytes).rawRepresentation))
        case .rsa(let key): Array(try key.signature(for: bytes, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}
