import Crypto
import CryptoExtras
import Foundation
import QoltanbaCore

/// Staff passwords at rest: scrypt with a random salt, stored as
/// `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`, so that a stronger cost can be chosen
/// later without breaking stored hashes.
public enum PasswordHash {
    /// scrypt's cost as a power of two; 2^15 with r = 8 uses 32 MiB and takes about 0.1 s.
    public static let defaultCost = 15

    /// A new hash of `password`.
    public static func make(_ password: String, cost: Int = defaultCost) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let hash = try derive(password, salt: salt, cost: cost, blockSize: 8, parallelism: 1)
        return "scrypt$\(cost)$8$1$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` is the one `stored` was made from; false for an unreadable record.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "scrypt",
              let cost = Int(fields[1]), (10...20).contains(cost),
              let blockSize = Int(fields[2]), (1...16).contains(blockSize),
              let parallelism = Int(fields[3]), (1...4).contains(parallelism),
              let salt = Data(base64Encoded: String(fields[4])), let expected = Data(base64Encoded: String(fields[5])),
              let actual = try? derive(password, salt: Array(salt), cost: cost, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return actual.equalsInConstantTime(expected)
    }

    /// A hash of a password no one has, to spend the same time on an unknown account as on a known one.
    public static let decoy: String = (try? make(UUID().uuidString)) ?? ""

    private static func derive(_ password: String, salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << cost,
            blockSize: blockSize, parallelism: parallelism, maxMemory: 256 * 1024 * 1024)
        return key.withUnsafeBytes { Array($0) }
    }
}
