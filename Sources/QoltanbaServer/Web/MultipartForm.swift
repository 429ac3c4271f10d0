import MultipartKit
import QoltanbaCore
import Vapor

/// Refuses a multipart/form-data body that MultipartKit must not see: its parser (4.7.1) looks a
/// part header name's bytes up in a 128-entry table, so a byte of 0x80 or more there stops the
/// process. Every multipart body passes here first (``GuardedFormDataDecoder`` and the upload's
/// own parsing), and one with such a byte is a 400.
enum MultipartGuard {
    /// - Throws: ``QoltanbaError`` when a part header name holds a byte outside ASCII.
    static func check(_ body: ByteBuffer, boundary: String) throws {
        let bytes = Array(body.readableBytesView)
        let delimiter = Array("--\(boundary)".utf8)
        guard !delimiter.isEmpty else { return }
        var searchFrom = 0
        while searchFrom < bytes.count, let found = bytes[searchFrom...].firstRange(of: delimiter) {
            // The rest of the delimiter's line, then header lines up to an empty one: the part of
            // each before its first colon is a name (the whole line when it has none).
            var position = found.upperBound
            var line = 0
            var lineLength = 0
            var inName = true
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == 0x0A {
                    if line > 0, lineLength <= 1 { break }  // an empty line (CRLF): the headers end
                    line += 1
                    lineLength = 0
                    inName = true
                    continue
                }
                lineLength += 1
                if byte == UInt8(ascii: ":") { inName = false }
                if inName, line > 0, byte >= 0x80 {
                    throw QoltanbaError.invalidField("body", "not a readable multipart/form-data body (a part header name is not ASCII)")
                }
            }
            searchFrom = max(position, found.upperBound)
        }
    }
}

/// A multipart/form-data body read part by part, behind ``MultipartGuard``.
enum MultipartForm {
    /// The parts by field name (the first of a repeated name wins). Plain fields and file parts
    /// read the same: Python's `requests` sends every entry of `files=` as a file part,
    /// `session_id` and `name` included.
    /// - Throws: ``QoltanbaError`` (a 400) for a body that is not a readable form.
    static func parts(_ body: ByteBuffer, boundary: String) throws -> [String: MultipartPart] {
        try MultipartGuard.check(body, boundary: boundary)
        // A form without fields is only its closing delimiter, which MultipartKit does not read.
        if body.readableBytesView.starts(with: Array("--\(boundary)--".utf8)) { return [:] }
        let parser = MultipartParser(boundary: boundary)
        var parts: [String: MultipartPart] = [:]
        var headers = HTTPHeaders()
        var content = ByteBuffer()
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let part = MultipartPart(headers: headers, body: content)
            if let name = headers.contentDisposition?.name, parts[name] == nil { parts[name] = part }
            headers = HTTPHeaders()
            content = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw QoltanbaError.invalidField("body", "not a readable multipart/form-data body")
        }
        return parts
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
