import Foundation

/// Base64 as request fields and PEM files carry it.
public enum Base64Text {
    /// Standard or URL-safe base64, with or without padding, with line breaks allowed; an optional
    /// `data:…;base64,` prefix is accepted too. Nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var decoder = Base64Decoder()
        decoder.output.reserveCapacity(text.utf8.count / 4 * 3 + 3)
        decoder.feed(text.utf8)
        return decoder.finish() ? decoder.output : nil
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

/// Base64 decoded as it arrives, in pieces of any size, accepting exactly what
/// ``Base64Text/decode(_:)`` accepts, so that a document's base64 never needs to be held whole.
/// ``output`` gathers the bytes decoded so far: take them whenever convenient.
public struct Base64Decoder: Sendable {
    /// The bytes decoded and not yet taken.
    public var output: [UInt8] = []
    private var stage = Stage.start
    /// While the text might still start with `data:`, its first bytes.
    private var head: [UInt8] = []
    /// A non-ASCII character's UTF-8 bytes so far: only whitespace may be outside ASCII.
    private var character: [UInt8] = []
    private var quad: UInt32 = 0
    private var symbols = 0
    private var padding = 0

    private enum Stage: Sendable { case start, skippingToComma, symbols, padding, failed }

    public init() {}

    /// Whether everything fed so far could still be base64.
    public var isValid: Bool { stage != .failed }

    /// Decodes the next piece of the text.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { feed(UnsafeRawBufferPointer($0)) }
        if done == nil { feed(Array(bytes)) }
    }

    /// Decodes the next piece of the text, where it lies (the fast way: no generic iteration).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            switch stage {
            case .failed: return
            case .start: begin(byte)
            case .skippingToComma: if byte == UInt8(ascii: ",") { stage = .symbols }
            case .symbols, .padding: take(byte)
            }
        }
    }

    /// The end of the text: false when it was not base64 (the ``output`` is then meaningless).
    public mutating func finish() -> Bool {
        if stage == .start { replayHead() }
        guard stage == .symbols || stage == .padding, character.isEmpty, symbols != 1 else {
            stage = .failed
            return false
        }
        switch symbols {
        case 2: output.append(UInt8(truncatingIfNeeded: quad >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: quad >> 10))
            output.append(UInt8(truncatingIfNeeded: quad >> 2))
        default: break
        }
        symbols = 0
        return true
    }

    /// The first bytes go aside until they show whether the text opens with `data:…,`.
    private mutating func begin(_ byte: UInt8) {
        head.append(byte)
        let prefix = Array("data:".utf8)
        if head.count == prefix.count, head == prefix {
            head = []
            stage = .skippingToComma
        } else if !prefix.starts(with: head) {
            replayHead()
        }
    }

    private mutating func replayHead() {
        let bytes = head
        head = []
        stage = .symbols
        for byte in bytes { take(byte) }
    }

    private mutating func take(_ byte: UInt8) {
        if !character.isEmpty || byte >= 0x80 {
            takeNonASCII(byte)
            return
        }
        let value = Self.values[Int(byte)]
        switch value {
        case Self.space:
            return
        case Self.pad:
            guard symbols >= 2, symbols + padding < 4 else { return fail() }
            padding += 1
            stage = .padding
        case Self.invalid:
            fail()
        default:
            guard stage == .symbols else { return fail() }
            quad = quad << 6 | UInt32(value)
            symbols += 1
            if symbols == 4 {
                output.append(UInt8(truncatingIfNeeded: quad >> 16))
                output.append(UInt8(truncatingIfNeeded: quad >> 8))
                output.append(UInt8(truncatingIfNeeded: quad))
                quad = 0
                symbols = 0
            }
        }
    }

    /// A byte of a non-ASCII character: the character must be Unicode whitespace.
    private mutating func takeNonASCII(_ byte: UInt8) {
        character.append(byte)
        let length = switch character[0] {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
        guard length > 0, character.count <= length else { return fail() }
        guard character.count == length else { return }
        let scalar = String(validating: character, as: UTF8.self)?.unicodeScalars.first
        character = []
        guard let scalar, scalar.properties.isWhitespace else { return fail() }
    }

    private mutating func fail() {
        stage = .failed
        output = []
    }

    private static let space: UInt8 = 0xFD
    private static let pad: UInt8 = 0xFE
    private static let invalid: UInt8 = 0xFF
    /// Each ASCII byte's six bits, or what else it is.
    private static let values: [UInt8] = (0..<128).map { code -> UInt8 in
        switch UInt8(code) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(code) - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt8(code) - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(code) - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        case UInt8(ascii: "="): pad
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C: space
        default: invalid
        }
    }
}
