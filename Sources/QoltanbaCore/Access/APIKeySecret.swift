import Crypto
import Foundation

/// An integrator's API key: `qk_` and 43 base64url characters (32 random bytes).
///
/// Only ``hash`` is ever stored; the key itself is shown once, when made.
public struct APIKeySecret: Sendable {
    /// The whole key, to hand to the integrator once.
    public let value: String

    /// Wraps a key presented by a caller.
    public init(_ value: String) { self.value = value }

    /// A new random key.
    public static func generate() -> APIKeySecret {
        APIKeySecret("qk_" + Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
    }

    /// The hex SHA-256 of the key: what is stored and looked up. A plain hash suffices because
    /// the key has 256 random bits; no slow hash is needed against guessing.
    public var hash: String {
        SHA256.hash(data: Data(value.utf8)).hexString
    }

    /// The first characters, stored in the clear so that people can tell keys apart.
    public var prefix: String { String(value.prefix(10)) }
}
