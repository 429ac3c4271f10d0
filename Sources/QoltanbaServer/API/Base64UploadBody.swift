import Foundation
import NIOCore
import QoltanbaCore
import Vapor

/// The base64 upload's JSON body, read as it arrives: the `base64_file` string is decoded piece by
/// piece and never held as text; every other field is kept as its JSON text (at most
/// ``fieldsLimit`` bytes in all) and decoded by `JSONDecoder` at the end, so that what is accepted
/// is exactly JSON.
struct Base64UploadBody {
    /// The most JSON text the fields other than `base64_file` may take together.
    static let fieldsLimit = 64 * 1024
    /// The longest key read.
    static let keyLimit = 1024

    /// The other fields as one JSON object's text, `{` to be closed at the end.
    private var fields: [UInt8] = [UInt8(ascii: "{")]
    private var key: [UInt8] = []
    private var file: Base64Decoder?
    /// The decoded file so far.
    private var content: ByteBuffer
    private var state = State.beforeObject

    private enum State {
        case beforeObject, firstKeyOrEnd, beforeKey, beforeColon, beforeValue, afterValue, afterObject
        case key(escaped: Bool)
        /// Any other field's value, copied: nesting depth, and within a string whether a `\` came last.
        case value(depth: Int, inString: Bool, escaped: Bool)
        /// The file's string; `escape` holds an escape sequence so far (`\`, or `\u` and its digits).
        case file(escape: [UInt8])
    }

    /// - Parameter expectedBytes: what to make room for, decoded (from the declared body length).
    init(expectedBytes: Int) {
        content = ByteBuffer()
        content.reserveCapacity(expectedBytes)
    }

    /// Reads the next piece of the body.
    /// - Throws: ``QoltanbaError`` (a 400) as soon as the body cannot be a JSON object of this upload.
    mutating func feed(_ bytes: ByteBufferView) throws {
        try bytes.withUnsafeBytes { raw in
            var index = raw.startIndex
            while index < raw.endIndex {
                // The file's plain characters go to the decoder a run at a time.
                if case .file(let escape) = state, escape.isEmpty {
                    let end = raw[index...].firstIndex { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 } ?? raw.endIndex
                    if end > index {
                        withFile { $0.feed(UnsafeRawBufferPointer(rebasing: raw[index..<end])) }
                        index = end
                        continue
                    }
                }
                try take(raw[index])
                index += 1
            }
        }
        if var decoder = file {
            // Not base64 already: the rest of the body is not worth reading.
            guard decoder.isValid else { throw Self.notBase64 }
            file = nil
            content.writeBytes(decoder.output)
            decoder.output.removeAll(keepingCapacity: true)
            file = decoder
        }
    }

    /// Works on the file's decoder as its only owner (its output is never copied).
    private mutating func withFile(_ work: (inout Base64Decoder) throws -> Void) rethrows {
        guard var decoder = file else { return }
        file = nil
        defer { file = decoder }
        try work(&decoder)
    }

    /// The end of the body: the fields (decoded, and as JSON), and the decoded file when
    /// `base64_file` was a string.
    mutating func finish() throws -> (fields: Base64UploadRequest, json: Data, file: ByteBuffer?) {
        if case .beforeObject = state { throw QoltanbaError.invalidField("body", "a JSON object is required") }
        guard case .afterObject = state else { throw Self.notJSON }
        let json = Data(fields + [UInt8(ascii: "}")])
        let request = try JSONDecoder().decode(Base64UploadRequest.self, from: json)
        guard var decoder = file else { return (request, json, nil) }
        file = nil
        guard decoder.finish() else { throw Self.notBase64 }
        var decoded = content
        content = ByteBuffer()
        decoded.writeBytes(decoder.output)
        return (request, json, decoded)
    }

    private static let notJSON = QoltanbaError.invalidField("body", "not a valid JSON object")
    private static let notBase64 = QoltanbaError.invalidField("base64_file", "not valid base64")

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    private mutating func take(_ byte: UInt8) throws {
        switch state {
        case .file(let escape):
            try takeFile(byte, escape: escape)
        case .value(let depth, let inString, let escaped):
            try takeValue(byte, depth: depth, inString: inString, escaped: escaped)
        case .key(let escaped):
            if !escaped, byte == UInt8(ascii: "\"") {
                state = .beforeColon
            } else {
                guard key.count < Self.keyLimit, byte >= 0x20 else { throw Self.notJSON }
                key.append(byte)
                state = .key(escaped: !escaped && byte == UInt8(ascii: "\\"))
            }
        case _ where Self.isSpace(byte):
            return
        case .beforeObject:
            guard byte == UInt8(ascii: "{") else { throw Self.notJSON }
            state = .firstKeyOrEnd
        case .firstKeyOrEnd where byte == UInt8(ascii: "}"):
            state = .afterObject
        case .firstKeyOrEnd, .beforeKey:
            guard byte == UInt8(ascii: "\"") else { throw Self.notJSON }
            key = []
            state = .key(escaped: false)
        case .beforeColon:
            guard byte == UInt8(ascii: ":") else { throw Self.notJSON }
            state = .beforeValue
        case .beforeValue:
            try beginValue(byte)
        case .afterValue:
            try endValue(byte)
        case .afterObject:
            throw Self.notJSON
        }
    }

    /// The first byte of a value: `base64_file`'s string streams into the decoder, anything else is copied.
    private mutating func beginValue(_ byte: UInt8) throws {
        let name = try JSONDecoder().decode(String.self, from: Data([UInt8(ascii: "\"")] + key + [UInt8(ascii: "\"")]))
        if name == "base64_file", byte == UInt8(ascii: "\"") {
            guard file == nil else { throw QoltanbaError.invalidField("base64_file", "appears more than once") }
            file = Base64Decoder()
            state = .file(escape: [])
            return
        }
        if fields.count > 1 { fields.append(UInt8(ascii: ",")) }
        fields += [UInt8(ascii: "\"")] + key + [UInt8(ascii: "\""), UInt8(ascii: ":")]
        state = .value(depth: 0, inString: false, escaped: false)
        try take(byte)
    }

    /// After a value: the next field, or the object's end.
    private mutating func endValue(_ byte: UInt8) throws {
        switch byte {
        case UInt8(ascii: ","): state = .beforeKey
        case UInt8(ascii: "}"): state = .afterObject
        default: throw Self.notJSON
        }
    }

    private mutating func takeValue(_ byte: UInt8, depth: Int, inString: Bool, escaped: Bool) throws {
        if !inString, depth == 0, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || Self.isSpace(byte) {
            state = .afterValue
            if !Self.isSpace(byte) { try endValue(byte) }
            return
        }
        guard fields.count < Self.fieldsLimit else {
            throw QoltanbaError.invalidField("body", "the fields other than base64_file take more than \(Self.fieldsLimit) bytes")
        }
        fields.append(byte)
        if inString {
            state = .value(depth: depth, inString: escaped || byte != UInt8(ascii: "\""), escaped: !escaped && byte == UInt8(ascii: "\\"))
            return
        }
        switch byte {
        case UInt8(ascii: "\""): state = .value(depth: depth, inString: true, escaped: false)
        case UInt8(ascii: "{"), UInt8(ascii: "["): state = .value(depth: depth + 1, inString: false, escaped: false)
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            guard depth > 0 else { throw Self.notJSON }
            state = .value(depth: depth - 1, inString: false, escaped: false)
        default: break
        }
    }

    /// A byte of the file's string: escapes are undone (`\/` is common, `\n` and `\uXXXX` occur),
    /// and what they stand for goes to the decoder with the rest.
    private mutating func takeFile(_ byte: UInt8, escape: [UInt8]) throws {
        if escape.isEmpty {
            switch byte {
            case UInt8(ascii: "\""): state = .afterValue
            case UInt8(ascii: "\\"): state = .file(escape: [byte])
            case ..<0x20: throw Self.notJSON
            default: withFile { $0.feed(CollectionOfOne(byte)) }
            }
            return
        }
        let sequence = escape + [byte]
        if sequence.count == 2 {
            let replacement: UInt8? = switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "u"): nil
            default: throw Self.notJSON
            }
            if let replacement {
                withFile { $0.feed(CollectionOfOne(replacement)) }
                state = .file(escape: [])
            } else {
                state = .file(escape: sequence)
            }
            return
        }
        guard sequence.count == 6 else {
            state = .file(escape: sequence)
            return
        }
        // `\uXXXX`: a character of the basic plane (a surrogate is not base64 either way).
        let digits = sequence.dropFirst(2)
        guard digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
              let code = UInt32(String(decoding: digits, as: UTF8.self), radix: 16), let scalar = Unicode.Scalar(code)
        else { throw Self.notJSON }
        withFile { $0.feed(String(Character(scalar)).utf8) }
        state = .file(escape: [])
    }
}
