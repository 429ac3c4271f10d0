import Foundation

/// Base64 as request fields and PEM files carry it.
public enum Base64Text {
    /// Standard or URL-safe base64, with or without padding, with line breaks allowed; an optional
    /// `data:…;base64,` prefix is accepted too. Nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var payload = Substring(text)
        if payload.hasPrefix("data:"), let comma = payload.firstIndex(of: ",") {
            payload = payload[payload.index(after: comma)...]
        }
        var cleaned = String(payload.filter { !$0.isWhitespace })
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        guard cleaned.count % 4 != 1 else { return nil }
        while cleaned.count % 4 != 0 { cleaned.append("=") }
        return Data(base64Encoded: cleaned).map(Array.init)
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
