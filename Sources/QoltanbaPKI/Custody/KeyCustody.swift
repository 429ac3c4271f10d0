import Crypto
import CryptoExtras
import Foundation

/// A signer's private key at rest: encrypted under a key that needs both the signer's password
/// and the master key.
///
/// The password goes through scrypt (memory-hard; parameters and salt stored beside the box);
/// HKDF-SHA256 then mixes the result with a 32-byte pepper, and AES-256-GCM seals the PKCS #8 key
/// with the owner (e.g. the IIN and certificate serial) as authenticated data. The pepper is
/// random per key and sealed under a key derived from the master key (the outer layer), so a
/// master key rotation seals the pepper again and never needs a password. A database dump without
/// the master key, or the master key without the password, opens nothing.
///
/// Version 1 records, from before the outer layer, used the master key itself as the pepper; the
/// migration that added the outer layer sealed that key as their pepper (version 2, as new ones).
public struct SealedSigningKey: Codable, Hashable, Sendable {
    /// The record format: 1 (the master key as the pepper) or 2 (a sealed pepper).
    public var version: Int
    /// The key's algorithm.
    public var algorithm: SigningKey.Algorithm
    /// scrypt's cost parameter N (a power of two), block size r and parallelism p.
    public var scryptN: Int
    public var scryptR: Int
    public var scryptP: Int
    /// scrypt's salt, base64.
    public var salt: String
    /// AES-GCM nonce, ciphertext and tag, base64.
    public var box: String
    /// Version 2: the pepper sealed under the master key's outer-layer key, base64.
    public var pepper: String?
}

/// Seals and opens signers' keys.
public struct KeyCustody: Sendable {
    let masterKey: MasterKey
    /// scrypt cost; 2^15 with r = 8 uses 32 MiB and takes about 0.1 s.
    let scryptN: Int

    /// Custody under a master key.
    public init(masterKey: MasterKey, scryptN: Int = 1 << 15) {
        self.masterKey = masterKey
        self.scryptN = scryptN
    }

    /// The owner a signer's key is bound to: the IIN and the certificate's serial.
    public static func owner(iin: String, serial: String) -> String { "\(iin)/\(serial)" }

    /// What the outer layer authenticates: the pepper opens only for its owner's key.
    static func pepperContext(owner: String) -> String {
        "signer-key-pepper/" + owner
    }

    /// Encrypts `key` for the holder of `password`, bound to `owner`.
    public func seal(_ key: SigningKey, password: String, owner: String) throws -> SealedSigningKey {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let pepper = (0..<32).map { _ in UInt8.random(in: 0...255) }
        var record = SealedSigningKey(
            version: 2, algorithm: key.algorithm, scryptN: scryptN, scryptR: 8, scryptP: 1,
            salt: Data(salt).base64EncodedString(), box: "",
            pepper: Data(try masterKey.seal(pepper, context: Self.pepperContext(owner: owner), secret: [])).base64EncodedString())
        let wrappingKey = try self.wrappingKey(password: password, record: record, pepper: pepper)
        let box = try AES.GCM.seal(key.pkcs8, using: wrappingKey, authenticating: Data(owner.utf8))
        record.box = try box.combinedBytes.base64EncodedString()
        return record
    }

    /// Decrypts a sealed key.
    /// - Throws: ``KeyCustodyError/wrongPassword`` when the password is not the one it was sealed
    ///   with; ``KeyCustodyError/cannotOpen`` when no configured master key opens the outer layer (an
    ///   operator's mistake, such as a previous master key removed before its rotation ended, which
    ///   must not count against the signer).
    public func open(_ record: SealedSigningKey, password: String, owner: String) throws(KeyCustodyError) -> SigningKey {
        guard let box = Data(base64Encoded: record.box), let sealed = try? AES.GCM.SealedBox(combined: box) else {
            throw .unreadableRecord
        }
        let peppers: [[UInt8]]
        switch record.version {
        case 1:
            peppers = masterKey.keys.map { key in key.withUnsafeBytes { Array($0) } }
        case 2:
            guard let outer = record.pepper.flatMap({ Data(base64Encoded: $0) }) else { throw .unreadableRecord }
            guard let pepper = try? masterKey.open(Array(outer), context: Self.pepperContext(owner: owner), secret: []) else {
                throw .cannotOpen
            }
            peppers = [pepper]
        default:
            throw .unreadableRecord
        }
        let stretched: SymmetricKey
        do {
            stretched = try self.stretched(password: password, record: record)
        } catch {
            throw .unreadableRecord
        }
        for pepper in peppers {
            guard let pkcs8 = try? AES.GCM.open(sealed, using: Self.wrappingKey(stretched: stretched, pepper: pepper), authenticating: Data(owner.utf8))
            else { continue }
            do {
                return try SigningKey(pkcs8: Array(pkcs8), algorithm: record.algorithm)
            } catch {
                throw .unreadableRecord
            }
        }
        throw .wrongPassword
    }

    /// A version 1 record given its outer layer: `sealedUnder`, the master key it was sealed with,
    /// becomes its pepper, sealed under this custody's master key. Needs no password.
    public func addingOuterLayer(to record: SealedSigningKey, sealedUnder: MasterKey, owner: String) throws -> SealedSigningKey {
        guard record.version == 1 else { return record }
        var wrapped = record
        wrapped.version = 2
        wrapped.pepper = Data(try masterKey.seal(sealedUnder.bytes, context: Self.pepperContext(owner: owner), secret: [])).base64EncodedString()
        return wrapped
    }

    /// The record with its pepper sealed again under the current master key, or nil when it
    /// already is (a master key rotation's step). Needs no password.
    /// - Throws: ``KeyCustodyError/cannotOpen`` when neither master key opens the pepper.
    public func resealed(_ record: SealedSigningKey, owner: String) throws(KeyCustodyError) -> SealedSigningKey? {
        guard record.version == 2, let outer = record.pepper.flatMap({ Data(base64Encoded: $0) }) else { throw .unreadableRecord }
        guard let pepper = try masterKey.resealed(Array(outer), context: Self.pepperContext(owner: owner), secret: []) else { return nil }
        var resealed = record
        resealed.pepper = Data(pepper).base64EncodedString()
        return resealed
    }

    private func wrappingKey(password: String, record: SealedSigningKey, pepper: [UInt8]) throws -> SymmetricKey {
        Self.wrappingKey(stretched: try stretched(password: password, record: record), pepper: pepper)
    }

    /// scrypt of the password with the record's salt and parameters.
    private func stretched(password: String, record: SealedSigningKey) throws -> SymmetricKey {
        guard let salt = Data(base64Encoded: record.salt), record.scryptN >= 1 << 10, record.scryptN <= 1 << 20,
              record.scryptR >= 1, record.scryptR <= 16, record.scryptP >= 1, record.scryptP <= 4
        else {
            throw KeyCustodyError.unreadableRecord
        }
        return try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: record.scryptN,
            blockSize: record.scryptR, parallelism: record.scryptP, maxMemory: 256 * 1024 * 1024)
    }

    private static func wrappingKey(stretched: SymmetricKey, pepper: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: stretched, salt: Data(pepper), info: Data("qoltanba signer key v1".utf8), outputByteCount: 32)
    }
}
