import MultipartKit
import QoltanbaCore
import NIOCore
import Vapor

/// Refuses a multipart/form-data body that MultipartKit must not see: its parser (4.7.1) looks a
/// part header name's bytes up in a 128-entry table, so a byte of 0x80 or more there stops the
/// process. Every multipart body passes here first (``GuardedFormDataDecoder`` and
/// ``MultipartReader``), piece by piece as it arrives, and one with such a byte is a 400.
struct MultipartGuard {
    private let delimiter: [UInt8]
    /// For each prefix of the delimiter, the longest proper prefix that is also its suffix (KMP),
    /// so that a delimiter split across pieces, or overlapping a false start, is still found.
    private let fallback: [Int]
    private var matched = 0
    /// Where a delimiter leaves the scan: its own line, then header lines read as MultipartKit reads
    /// them (a name up to `:`, a value up to CR, then LF; an empty line, CR LF, ends them). Where
    /// MultipartKit would refuse the syntax the guard reads on as a name: stricter, never laxer.
    private var phase = Phase.searching

    private enum Phase {
        case searching, delimiterLine, value, valueEnd, headersEnd
        case name(length: Int)
    }

    init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
        var fallback = [Int](repeating: 0, count: delimiter.count)
        var length = 0
        for index in delimiter.indices.dropFirst() {
            while length > 0, delimiter[index] != delimiter[length] { length = fallback[length - 1] }
            if delimiter[index] == delimiter[length] { length += 1 }
            fallback[index] = length
        }
        self.fallback = fallback
    }

    /// - Throws: ``QoltanbaError`` when a part header name holds a byte outside ASCII.
    static func check(_ body: ByteBuffer, boundary: String) throws {
        var check = MultipartGuard(boundary: boundary)
        try check.feed(body.readableBytesView)
    }

    /// Checks the next piece of the body.
    mutating func feed(_ bytes: ByteBufferView) throws {
        for byte in bytes {
            switch phase {
            case .searching:
                while matched > 0, byte != delimiter[matched] { matched = fallback[matched - 1] }
                if byte == delimiter[matched] { matched += 1 }
                if matched == delimiter.count {
                    matched = 0
                    phase = .delimiterLine
                }
            case .delimiterLine:
                if byte == 0x0A { phase = .name(length: 0) }
            case .name(let length):
                if byte >= 0x80 {
                    throw QoltanbaError.invalidField("body", "not a readable multipart/form-data body (a part header name is not ASCII)")
                }
                phase = switch byte {
                case UInt8(ascii: ":") where length > 0: .value
                case 0x0D where length == 0: .headersEnd
                default: .name(length: length + 1)
                }
            case .value:
                if byte == 0x0D { phase = .valueEnd }
            case .valueEnd:
                phase = byte == 0x0A ? .name(length: 0) : .name(length: 1)
            case .headersEnd:
                phase = byte == 0x0A ? .searching : .name(length: 1)
            }
        }
    }
}

/// A multipart/form-data body read as it arrives, behind ``MultipartGuard``. Only the named fields
/// are kept, each the first part of its name. Plain fields and file parts read the same: Python's
/// `requests` sends every entry of `files=` as a file part, `session_id` and `name` included.
final class MultipartReader {
    private var check: MultipartGuard
    private let parser: MultipartParser
    /// The body's closing delimiter: a form without fields is only that, which MultipartKit does not read.
    private let closing: [UInt8]
    /// The first bytes, held until they show whether the form is empty.
    private var opening: [UInt8]? = []
    private var isEmptyForm = false
    private let fields: [String: Int]
    private var parts: [String: MultipartPart] = [:]
    private var headers = HTTPHeaders()
    /// The part being read, when it is kept; decided at its first byte.
    private var current: (name: String, body: ByteBuffer)?
    private var decided = false

    /// - Parameters:
    ///   - boundary: the `boundary` of the body's content type.
    ///   - fields: the field names to keep, each with the bytes to make room for at once.
    init(boundary: String, fields: [String: Int]) {
        check = MultipartGuard(boundary: boundary)
        parser = MultipartParser(boundary: boundary)
        closing = Array("--\(boundary)--".utf8)
        self.fields = fields
        parser.onHeader = { [unowned self] name, value in headers.add(name: name, value: value) }
        parser.onBody = { [unowned self] chunk in
            decide()
            current?.body.writeBuffer(&chunk)
        }
        parser.onPartComplete = { [unowned self] in
            decide()
            if let current { parts[current.name] = MultipartPart(headers: headers, body: current.body) }
            (headers, current, decided) = (HTTPHeaders(), nil, false)
        }
    }

    /// The whole body at once.
    static func parts(_ body: ByteBuffer, boundary: String, fields: Set<String>) throws -> [String: MultipartPart] {
        let reader = MultipartReader(boundary: boundary, fields: Dictionary(uniqueKeysWithValues: fields.map { ($0, 0) }))
        try reader.feed(body)
        return try reader.finish()
    }

    /// Reads the next piece of the body.
    /// - Throws: ``QoltanbaError`` (a 400) for a body that is not a readable form.
    func feed(_ piece: ByteBuffer) throws {
        try check.feed(piece.readableBytesView)
        guard !isEmptyForm else { return }  // nothing after the closing delimiter is read
        guard let held = opening else { return try parse(piece) }
        let seen = held + piece.readableBytesView.prefix(closing.count - held.count)
        guard seen.count == closing.count else {
            opening = seen  // a short piece, wholly held
            return
        }
        opening = nil
        isEmptyForm = seen == closing
        guard !isEmptyForm else { return }
        if !held.isEmpty { try parse(ByteBuffer(bytes: held)) }
        try parse(piece)
    }

    /// The kept fields by name, once the body has ended.
    func finish() throws -> [String: MultipartPart] {
        if let opening, !opening.isEmpty { try parse(ByteBuffer(bytes: opening)) }
        return parts
    }

    private func parse(_ piece: ByteBuffer) throws {
        do {
            try parser.execute(piece)
        } catch {
            throw QoltanbaError.invalidField("body", "not a readable multipart/form-data body")
        }
    }

    private func decide() {
        guard !decided else { return }
        decided = true
        guard let name = headers.contentDisposition?.name, let room = fields[name], parts[name] == nil else { return }
        var body = ByteBuffer()
        body.reserveCapacity(room)
        current = (name, body)
    }
}

/// Vapor's form-data decoder behind ``MultipartGuard``: what `request.content` uses for multipart bodies.
struct GuardedFormDataDecoder: ContentDecoder {
    private let decoder = FormDataDecoder()

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(
        _ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        if let boundary = headers.contentType?.parameters["boundary"] { try MultipartGuard.check(body, boundary: boundary) }
        return try decoder.decode(D.self, from: body, headers: headers, userInfo: userInfo)
    }
}
