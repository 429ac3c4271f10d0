import Foundation
import MultipartKit
import NIOCore
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import Testing

/// The upload bodies are read in whatever pieces the network brings: every split must read the same.
@Suite("Uploads read as they arrive")
struct StreamedUploadTests {
    /// `bytes` cut at random places into pieces of 1 to `longest` bytes.
    static func pieces(_ bytes: [UInt8], longest: Int, using generator: inout some RandomNumberGenerator) -> [ByteBuffer] {
        var pieces: [ByteBuffer] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...longest, using: &generator))
            pieces.append(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        return pieces
    }

    static func readBase64(_ body: [UInt8], longest: Int = 7) throws -> (fields: Base64UploadRequest, file: [UInt8]?) {
        var generator = SystemRandomNumberGenerator()
        var reader = Base64UploadBody(expectedBytes: 16)
        for piece in pieces(body, longest: longest, using: &generator) { try reader.feed(piece.readableBytesView) }
        let (fields, _, file) = try reader.finish()
        return (fields, file.map { Array($0.readableBytesView) })
    }

    static func detail(_ body: String) -> String? {
        do {
            _ = try readBase64(Array(body.utf8))
            return nil
        } catch let error as QoltanbaError {
            return error.detail
        } catch let error as DecodingError {
            return ProblemMiddleware.describe(error)
        } catch {
            return "\(error)"
        }
    }

    @Test("base64_file is decoded as it streams, its JSON escapes undone; the other fields read as JSON, whatever the pieces")
    func base64Body() throws {
        let file = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 5) }
        // JSON encoders escape `/` (PHP), wrap lines as `\n`, or spell characters as `\u0041`.
        let encoded = Data(file).base64EncodedString(options: .lineLength64Characters)
            .replacingOccurrences(of: "/", with: #"\/"#).replacingOccurrences(of: "\r\n", with: #"\n"#)
            .replacingOccurrences(of: "A", with: #"\u0041"#)
        let body = #"""
             { "extra": {"a": ["}", "\"", {"b": null}], "c": -1.5e3}, "session_id" : "s-1",
               "base64_file": "\#(encoded)", "name": "Шарт \"1\".pdf", "n": true }
            """#
        for longest in [1, 3, 64, 100_000] {
            let (fields, decoded) = try Self.readBase64(Array(body.utf8), longest: longest)
            #expect(decoded == file, "pieces of up to \(longest)")
            #expect(fields.session_id == "s-1" && fields.name == #"Шарт "1".pdf"# && fields.base64_file == nil)
        }
        let absent = try Self.readBase64(Array(#"{"session_id": "s", "name": "n", "base64_file": null}"#.utf8))
        #expect(absent.file == nil && absent.fields.base64_file == nil)
    }

    @Test("a body that is not one JSON object of this upload is a 400 that says why")
    func base64Refusals() throws {
        let notJSON = "body: not a valid JSON object"
        let cases: [(String, String)] = [
            ("", "body: a JSON object is required"),
            ("  ", "body: a JSON object is required"),
            ("[]", notJSON), (#"{"a":1,}"#, notJSON), (#"{"a":1} x"#, notJSON), (#"{"a" 1}"#, notJSON),
            (#"{"a":1"#, notJSON), (#"{"base64_file":"QQ=="#, notJSON), ("{\"base64_file\":\"Q\u{01}Q==\"}", notJSON),
            (#"{"base64_file":"QQ\q=="}"#, notJSON), (#"{"base64_file":"\u00zz"}"#, notJSON), (#"{"a":]}"#, notJSON),
            (#"{"base64_file":"QQ==","base64_file":"QQ=="}"#, "base64_file: appears more than once"),
            (#"{"base64_file":"Q$=="}"#, "base64_file: not valid base64"),
            (#"{"base64_file":"Q"}"#, "base64_file: not valid base64"),
            (#"{"base64_file":5}"#, "base64_file: expected a string"),
            (#"{"name":["x"]}"#, "name: expected a string"),
            (#"{"a":tru}"#, notJSON),
        ]
        for (body, expected) in cases {
            #expect(Self.detail(body) == expected, "\(body.debugDescription)")
        }
        let padded = #"{"a":"\#(String(repeating: "x", count: Base64UploadBody.fieldsLimit))"}"#
        #expect(Self.detail(padded) == "body: the fields other than base64_file take more than 65536 bytes")
        let longKey = #"{"\#(String(repeating: "k", count: Base64UploadBody.keyLimit + 1))":1}"#
        #expect(Self.detail(longKey) == notJSON)
    }

    static func form(boundary: String, parts: [(name: String, value: [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"; filename=\"\(part.name)\"\r\n\r\n".utf8)
            body += part.value + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }

    @Test("a multipart form reads the same in any pieces: the wanted fields, each its first part")
    func multipartPieces() throws {
        var generator = SystemRandomNumberGenerator()
        let file = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 13) } + Array("\r\n--b0und".utf8)
        let body = Self.form(boundary: "b0undary", parts: [
            ("session_id", Array("s-1".utf8)), ("ignored", Array("x".utf8)), ("file", file), ("name", Array("a.pdf".utf8)),
            ("file", Array("second".utf8)),
        ])
        for longest in [1, 2, 9, 500, body.count] {
            let reader = MultipartReader(boundary: "b0undary", fields: ["session_id": 0, "name": 0, "file": 100])
            for piece in Self.pieces(body, longest: longest, using: &generator) { try reader.feed(piece) }
            let parts = try reader.finish()
            #expect(Set(parts.keys) == ["session_id", "name", "file"], "pieces of up to \(longest)")
            #expect(parts["file"].map { Array($0.body.readableBytesView) } == file)
            #expect(parts["session_id"].map { String(buffer: $0.body) } == "s-1")
        }
        for body in ["--b--\r\n", "--b--"] {
            let reader = MultipartReader(boundary: "b", fields: ["file": 0])
            for piece in Self.pieces(Array(body.utf8), longest: 2, using: &generator) { try reader.feed(piece) }
            #expect(try reader.finish().isEmpty)
        }
    }

    @Test("a part header name outside ASCII is refused wherever the pieces are cut, before MultipartKit reads it")
    func multipartGuardAcrossPieces() throws {
        let body = Array("preamble --B\r\nX: y\r\n".utf8) + [0xC3, 0xA9] + Array(": x\r\n\r\nv\r\n--B--\r\n".utf8)
        for cut in 1..<body.count {
            let reader = MultipartReader(boundary: "B", fields: ["file": 0])
            #expect(throws: QoltanbaError.self, "cut at \(cut)") {
                try reader.feed(ByteBuffer(bytes: body[..<cut]))
                try reader.feed(ByteBuffer(bytes: body[cut...]))
            }
        }
        // A non-ASCII byte in a value, or in the content, is fine.
        let named = Array("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Шарт.pdf\"\r\n\r\nvé\r\n--B--\r\n".utf8)
        let reader = MultipartReader(boundary: "B", fields: ["file": 0])
        for index in named.indices { try reader.feed(ByteBuffer(bytes: [named[index]])) }
        #expect(try reader.finish()["file"].map { String(buffer: $0.body) } == "vé")
    }

    @Test("a header line ended by LF alone does not end the headers: MultipartKit reads on to the next name, and so does the guard")
    func loneLineFeedInHeaders() throws {
        // Found by the mutations below: MultipartKit ends a header value at CR and takes an LF before it as part of the
        // value, so `\r\n` after `…"\n` is not an empty line to it, and 0xFF was read as a header name (a trap).
        let body = Array("--B\r\nContent-Disposition: form-data; name=\"file\"\n\r\n".utf8) + [0xFF] + Array("\r\n--B--\r\n".utf8)
        for cut in 1..<body.count {
            let reader = MultipartReader(boundary: "B", fields: ["file": 0])
            #expect(throws: QoltanbaError.self, "cut at \(cut)") {
                try reader.feed(ByteBuffer(bytes: body[..<cut]))
                try reader.feed(ByteBuffer(bytes: body[cut...]))
            }
        }
    }

    @Test("mutated bodies, in random pieces, are read or refused, never a trap (the readers' fuzzing)")
    func mutations() {
        var generator = SystemRandomNumberGenerator()
        let json = Array(#"{"session_id":"s","name":"a\u0041","base64_file":"QUJD\/\n\u0041==","x":[{"y":"}"}]}"#.utf8)
        let form = Self.form(boundary: "B", parts: [("session_id", Array("s".utf8)), ("file", Array("%PDF-1.4\r\n--B".utf8))])
        let interesting = Array("{}[]\"\\:,-=\r\n u0".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var outcomes = (read: 0, refused: 0)
        for round in 0..<10_000 {
            var bytes = round.isMultiple(of: 2) ? json : form
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: bytes.indices, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = interesting[Int.random(in: interesting.indices, using: &generator)]
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                }
            }
            let pieces = Self.pieces(bytes, longest: 9, using: &generator)
            var body = Base64UploadBody(expectedBytes: 8)
            let json = try? { for piece in pieces { try body.feed(piece.readableBytesView) }; return try body.finish() }()
            let reader = MultipartReader(boundary: "B", fields: ["session_id": 0, "file": 4])
            let form = try? { for piece in pieces { try reader.feed(piece) }; return try reader.finish() }()
            if json != nil || form != nil { outcomes.read += 1 } else { outcomes.refused += 1 }
        }
        // Both outcomes are reached: the mutations exercise the refusals as well as the reading.
        #expect(outcomes.read > 100 && outcomes.refused > 100, "\(outcomes)")
    }
}
