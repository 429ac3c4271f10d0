import Crypto
import CryptoExtras
import Foundation

/// A signer's private key at rest: encrypted under a key that needs both the signer's password
/// and the master key.
///
/// The password goes through scrypt (memory-hard; parameters and salt stored beside the box);
/// HKDF-SHA256 then mixes the result with the master key, and AES-256-GCM seals the PKCS #8 key
/// with the owner (e.g. the IIN and certificate serial) as authenticated data. A database dump
/// without the master key, or the master key without the password, opens nothing.
public struct SealedSigningKey: Codable, Hashable, Sendable {
    /// The record format.
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

    /// Encrypts `key` for the holder of `password`, bound to `owner`.
    public func seal(_ key: SigningKey, password: String, owner: String) throws -> SealedSigningKey {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var record = SealedSigningKey(
            version: 1, algorithm: key.algorithm, scryptN: scryptN, scryptR: 8, scryptP: 1,
            salt: Data(salt).base64EncodedString(), box: "")
        let wrappingKey = try self.wrappingKey(password: password, record: record)
        let box = try AES.GCM.seal(key.pkcs8, using: wrappingKey, authenticating: Data(owner.utf8))
        record.box = try box.combinedBytes.base64EncodedString()
        return record
    }

    /// Decrypts a sealed key.
    /// - Throws: ``KeyCustodyError/wrongPassword`` when the password (or the owner, or the master
    ///   key) is not the one it was sealed with; nothing more is said.
    public func open(_ record: SealedSigningKey, password: String, owner: String) throws(KeyCustodyError) -> SigningKey {
        guard record.version == 1, let box = Data(base64Encoded: record.box),
              let sealed = try? AES.GCM.SealedBox(combined: box)
        else {
            throw .unreadableRecord
        }
        let key: SymmetricKey
        do {
            key = try wrappingKey(password: password, record: record)
        } catch {
            throw .unreadableRecord
        }
        guard let pkcs8 = try? AES.GCM.open(sealed, using: key, authenticating: Data(owner.utf8)) else {
            throw .wrongPassword
        }
        do {
            return try SigningKey(pkcs8: Array(pkcs8), algorithm: record.algorithm)
        } catch {
            throw .unreadableRecord
        }
    }

    private func wrappingKey(password: String, record: SealedSigningKey) throws -> SymmetricKey {
        guard let salt = Data(base64Encoded: record.salt), record.scryptN >= 1 << 10, record.scryptN <= 1 << 20 else {
            throw KeyCustodyError.unreadableRecord
        }
        let stretched = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: record.scryptN,
            blockSize: record.scryptR, parallelism: record.scryptP, maxMemory: 256 * 1024 * 1024)
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: stretched, salt: masterKey.key.withUnsafeBytes { Data($0) },
            info: Data("qoltanba signer key v1".utf8), outputByteCount: 32)
    }
}
