import Crypto
import Foundation
import QoltanbaCore

/// A random token a browser holds in a cookie (the signing client's binding, a cabinet login): 32
/// bytes, base64url in the cookie; the database keeps only its hex SHA-256.
struct BrowserToken {
    let bytes: [UInt8]

    /// A new random token.
    init() {
        bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
    }

    /// The token a cookie carries; nil for anything else.
    init?(cookie text: String) {
        guard text.utf8.count == 43, let bytes = Base64URL.decode(text), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// What is stored and looked up.
    var hash: String { SHA256.hash(data: bytes).hexString }

    /// The cookie's value.
    var cookie: String {
Base64URL.encode(bytes)
    }
}
