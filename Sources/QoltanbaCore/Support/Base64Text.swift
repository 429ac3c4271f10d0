import Foundation

/// Base64 as request fields and PEM files carry it.
public enum Base64Text {
    /// Standard or URL-safe base64, with or without padding, with line breaks allowed; an optional
    /// `data:…;base64,` prefix is accepted too. Nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes = Substring(text).utf8
        if bytes.starts(with: "data:".utf8), let comma = bytes.firstIndex(of: UInt8(ascii: ",")) {
            bytes = bytes[bytes.index(after: comma)...]
        }
        // One pass over the bytes (a document's base64 is tens of megabytes): ASCII whitespace dropped,
        // the URL-safe alphabet mapped to the standard one.
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(bytes.count + 3)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C: continue
            case UInt8(ascii: "-"): cleaned.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): cleaned.append(UInt8(ascii: "/"))
            case 0x80...: return decodeUnicode(String(Substring(bytes)))
            default: cleaned.append(byte)
            }
        }
        guard cleaned.count % 4 != 1 else { return nil }
        while cleaned.count % 4 != 0 { cleaned.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(cleaned)).map(Array.init)
    }

    /// The same for a text with non-ASCII characters: only Unicode whitespace may be among them.
    private static func decodeUnicode(_ text: String) -> [UInt8]? {
        let ascii = String(text.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
        guard ascii.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return decode(ascii)
    }
}

/// Base64url without padding (RFC 4648 §5), as tokens and keys are written.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of a base64url text, padded or not; nil for anything else (standard base64 included).
    public static func decode(_ text: String) -> [UInt8]? {
        guard !text.contains(where: { $0 == "+" || $0 == "/" }) else { return nil }
        return Base64Text.decode(text)
    }
}
