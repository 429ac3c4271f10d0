import Crypto
import Foundation
import QoltanbaCore

/// What Qoltanba makes of a file from outside before anything is stored: total functions over any
/// bytes, shared by the endpoints and the fuzz targets.
public enum UploadedFile {
    /// The CMS SignedData an upload is (DER, BER or PEM), or nil for any other file.
    /// - Returns: the CMS as DER or BER bytes and its parsed SignedData.
    public static func signedData(_ bytes: [UInt8]) -> (der: [UInt8], signedData: CMSSignedData)? {
        var der = bytes
        if bytes.starts(with: Array("-----BEGIN ".utf8)) {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
            guard let decoded = Base64Text.decode(body) else { return nil }
            der = decoded
        }
        guard der.first == 0x30, let signedData = try? CMSSignedData(berEncoded: der) else { return nil }
        return (der, signedData)
    }

    /// What a file uploaded to the check page is among a session's documents.
    public enum Check: Equatable, Sendable {
        /// The original at this index (by its SHA-256).
        case original(Int)
        /// The stamped copy of the document at this index (by the SHA-256 recorded when it was made).
        case copy(Int)
        /// A CMS (as DER or BER) whose content is one of the originals: to be verified.
        case signature(cms: [UInt8])
        /// Nothing of this session.
        case unknown
    }

    /// Classifies a check-page upload by digests alone: the originals' SHA-256 (hex) and, where a
    /// copy was made, its recorded SHA-256. Nothing in the file is believed about itself.
    public static func check(_ bytes: [UInt8], originals: [String], copies: [String?]) -> Check {
        let digest = SHA256.hash(data: bytes).hexString
        if let index = originals.firstIndex(of: digest) { return .original(index) }
        if let index = copies.firstIndex(of: digest) { return .copy(index) }
        if let (der, signedData) = signedData(bytes), let content = signedData.content,
           originals.contains(SHA256.hash(data: content).hexString)
        {
            return .signature(cms: der)
        }
        return .unknown
    }
}
