import Crypto
import Foundation

/// The 256-bit key that encrypts the CA's private keys and takes part in every signer key's
/// encryption. Kept outside the database: a file in the sandbox, `QOLTANBA_MASTER_KEY` in production.
///
/// During a rotation it also holds the previous key, which opens what was sealed before (every
/// box is tried under the current key first); new boxes are always sealed under the current one.
public struct MasterKey: Sendable {
    let key: SymmetricKey
    /// The key being rotated away from: opens, never seals.
    let previous: SymmetricKey?

    /// A new random master key.
    public static func generate() -> MasterKey {
        MasterKey(key: SymmetricKey(size: .bits256), previous: nil)
    }

    /// Reads a master key from base64 of 32 bytes.
    /// - Throws: ``KeyCustodyError/invalidMasterKey`` for anything else.
    public init(base64 text: String) throws(KeyCustodyError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw .invalidMasterKey
        }
        self.key = SymmetricKey(data: data)
        self.previous = nil
    }

    private init(key: SymmetricKey, previous: SymmetricKey?) {
        self.key = key
        self.previous = previous
    }

    /// This key, also opening what `old` sealed (for a rotation from `old` to this key).
    public func opening(_ old: MasterKey) -> MasterKey {
        MasterKey(key: key, previous: old.key)
    }

    /// The key (the current or the previous, alone) that opens `box`; nil when neither does.
    public func member(opening box: [UInt8], context: String) -> MasterKey? {
        keys.map { MasterKey(key: $0, previous: nil) }.first { (try? $0.open(box, context: context)) != nil }
    }

    /// The current key alone.
    var current: MasterKey { MasterKey(key: key, previous: nil) }

    /// The current key's 32 bytes.
    var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    /// The current key, then the previous one (the order in which boxes are tried).
    var keys: [SymmetricKey] { [key] + (previous.map { [$0] } ?? []) }

    /// The key as base64, to store it once where it belongs. Never log it.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A key for one purpose, derived with HKDF from the master key and, when given, a second
    /// secret kept elsewhere (e.g. a token only a browser holds): then neither alone makes it.
    public func derivedKey(purpose: String, secret: [UInt8] = []) -> SymmetricKey {
        Self.derive(from: key, purpose: purpose, secret: secret)
    }

    private static func derive(from key: SymmetricKey, purpose: String, secret: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: key.withUnsafeBytes { Array($0) } + secret), info: Data(purpose.utf8), outputByteCount: 32)
    }

    /// Encrypts with AES-256-GCM under the current master key, or under the key derived from it
    /// with `secret`; `context` is authenticated, so a box opens only for its purpose.
    public func seal(_ plaintext: [UInt8], context: String, secret: [UInt8]? = nil) throws -> [UInt8] {
        Array(try AES.GCM.seal(plaintext, using: sealingKey(key, context, secret), authenticating: Data(context.utf8)).combinedBytes)
    }

    /// Decrypts a box of ``seal(_:context:secret:)``, sealed under the current or the previous key.
    /// - Throws: ``KeyCustodyError/cannotOpen`` when the key, the secret or the context is not the one it was sealed with.
    public func open(_ box: [UInt8], context: String, secret: [UInt8]? = nil) throws(KeyCustodyError) -> [UInt8] {
        guard let sealed = try? AES.GCM.SealedBox(combined: box) else { throw .cannotOpen }
        for candidate in keys {
            if let plaintext = try? AES.GCM.open(sealed, using: sealingKey(candidate, context, secret), authenticating: Data(context.utf8)) {
                return Array(plaintext)
            }
        }
        throw .cannotOpen
    }

    /// The box sealed again under the current key, or nil when it already is (a rotation's step).
    /// - Throws: ``KeyCustodyError/cannotOpen`` when neither key opens it.
    public func resealed(_ box: [UInt8], context: String, secret: [UInt8]? = nil) throws(KeyCustodyError) -> [UInt8]? {
        if (try? current.open(box, context: context, secret: secret)) != nil { return nil }
        let plaintext = try open(box, context: context, secret: secret)
        do {
            return try seal(plaintext, context: context, secret: secret)
        } catch {
            throw .cannotSeal
        }
    }

    private func sealingKey(_ key: SymmetricKey, _ context: String, _ secret: [UInt8]?) -> SymmetricKey {
        secret.map { Self.derive(from: key, purpose: "seal " + context, secret: $0) } ?? key
    }
}

/// What can go wrong in key custody; never more specific than needed.
public enum KeyCustodyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The password does not open the key.
    case wrongPassword
    /// The box cannot be opened with this master key (or is damaged).
    case cannotOpen
    /// A master key must be base64 of exactly 32 bytes.
    case invalidMasterKey
    /// The stored key record is not one this version can read.
    case unreadableRecord
    /// A box could not be sealed.
    case cannotSeal

    public var description: String {
        switch self {
        case .wrongPassword: "the password is wrong"
        case .cannotOpen: "the key cannot be opened with this master key"
        case .invalidMasterKey: "the master key must be base64 of exactly 32 bytes"
        case .unreadableRecord: "the stored key record cannot be read"
        case .cannotSeal: "the box could not be sealed"
        }
    }
}

extension AES.GCM.SealedBox {
    /// Nonce, ciphertext and tag in one (nil in CryptoKit only for nonces of another size than
    /// the 12 bytes `seal` makes): a thrown error rather than a trap all the same.
    var combinedBytes: Data {
        get throws(KeyCustodyError) {
            guard let combined else { throw .cannotSeal }
            return combined
        }
    }
}
