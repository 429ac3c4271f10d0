import Crypto
import Fluent
import FluentKit
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import VaporTesting

@Suite("Document uploads")
struct DocumentUploadEndpointTests {
    @Test("multipart as Python's requests sends it, with and without the trailing slash")
    func multipart() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            for path in ["/api/v1/session/documents/upload/", "/api/v1/session/documents/upload"] {
                let response = try await server.uploadMultipart(
                    session: session.uuidString, name: "Договор қолтаңба.pdf", file: Samples.pdf, path: path)
                #expect(response.status == .ok, "\(response.body.string)")
                let json = try response.json()
                #expect(Set(json.keys) == ["id", "name", "sign", "created_at", "updated_at"])
                #expect(json["name"] as? String == "Договор қолтаңба.pdf")
                #expect(json["sign"] is NSNull)
                let id = try #require(UUID(uuidString: json["id"] as? String ?? ""))
                let document = try #require(try await DocumentModel.find(id, on: server.app.db))
                #expect(document.sha256 == SHA256.hash(data: Samples.pdf).map { String(format: "%02x", $0) }.joined())
                #expect(document.size == Samples.pdf.count)
                #expect(try await server.app.stores.sessions.content(of: id) == Samples.pdf)
            }
            #expect(try await server.documentCount() == 2)
        }
    }

    @Test("a file larger than a part is stored in parts and reads back whole, before and after the parts migration")
    func parts() async throws {
        try await TestServer.with(environment: ["QOLTANBA_MAX_UPLOAD_BYTES": "4000000"]) { server in
            let big = Samples.pdf(padding: 2 * SessionStore.filePartBytes + 1000)
            let response = try await server.uploadMultipart(
                session: try await server.createSession().uuidString, name: "big.pdf", file: big)
            #expect(response.status == .ok, "\(response.body.string)")
            let id = try #require(UUID(uuidString: try response.json()["id"] as? String ?? ""))
            let positions = try await server.app.db.sql.raw(
                "SELECT position FROM document_file_parts WHERE document_id = \(bind: id) ORDER BY position").all()
            #expect(try positions.map { try $0.decode(column: "position", as: Int.self) } == [0, 1, 2])
            #expect(try await server.app.stores.sessions.content(of: id) == big)
            // Back to one row per file, and forward again: a file stored before the parts moves over whole.
            try await SplitDocumentFiles().revert(on: server.app.db)
            try await SplitDocumentFiles().prepare(on: server.app.db)
            #expect(try await server.app.stores.sessions.content(of: id) == big)
        }
    }

    @Test("base64, with and without the trailing slash; URL-safe and unpadded base64 too")
    func base64() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession(type: "xml")
            let response = try await server.uploadBase64(session: session.uuidString, name: "a.xml", file: Samples.xml)
            #expect(response.status == .ok, "\(response.body.string)")
            #expect(try response.json()["sign"] is NSNull)
            let urlSafe = Data(Samples.xml).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let second = try await server.postJSON(
                "/api/v1/session/documents/upload/base64",
                #"{"session_id":"\#(session)","name":"b.xml","base64_file":"\#(urlSafe)"}"#)
            #expect(second.status == .ok, "\(second.body.string)")
            let documents = try await DocumentModel.query(on: server.app.db).all()
            #expect(documents.count == 2)
            for document in documents {
                #expect(try await server.app.stores.sessions.content(of: try document.requireID()) == Samples.xml)
            }
        }
    }

    @Test("bad uploads are 4xx naming the problem and store nothing")
    func badUploads() async throws {
        try await TestServer.with(environment: ["QOLTANBA_MAX_UPLOAD_BYTES": "1000"]) { server in
            let pdfSession = try await server.createSession().uuidString
            let base64Cases: [(String, String)] = [
                (#"{"name":"a.pdf","base64_file":"JVBERi0="}"#, "session_id: this field is required"),
                (#"{"session_id":"\#(pdfSession)","base64_file":"JVBERi0="}"#, "name: this field is required"),
                (#"{"session_id":"\#(pdfSession)","name":"a.pdf"}"#, "base64_file: this field is required"),
                (#"{"session_id":"\#(pdfSession)","name":"a.pdf","base64_file":"***not base64***"}"#, "base64_file: not valid base64"),
                (#"{"session_id":"\#(pdfSession)","name":"a.pdf","base64_file":""}"#, "base64_file: the file is empty"),
                (#"{"session_id":"\#(pdfSession)","name":" ","base64_file":"JVBERi0="}"#, "name: must not be empty"),
                (#"{"session_id":"\#(pdfSession)","name":"a.pdf","base64_file":42}"#, "base64_file: expected a string"),
            ]
            for (body, detail) in base64Cases {
                let response = try await server.postJSON("/api/v1/session/documents/upload/base64/", body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.detail == detail)
            }

            let wrongType = try await server.uploadBase64(session: pdfSession, name: "a.pdf", file: Samples.xml)
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.detail == "base64_file: not a PDF document: it does not start with a %PDF-1.x or %PDF-2.x header")

            let tooLarge = try await server.uploadBase64(
                session: pdfSession, name: "a.pdf", file: Samples.pdf + Array(repeating: 0x20, count: 1000))
            #expect(tooLarge.status == .badRequest)
            #expect(tooLarge.detail?.hasPrefix("base64_file: the file is") == true)
            #expect(tooLarge.detail?.hasSuffix("larger than the limit of 1000 bytes") == true)

            let xmlSession = try await server.createSession(type: "xml").uuidString
            let notXML = try await server.uploadMultipart(session: xmlSession, name: "a.xml", file: Array("<a><b></a>".utf8))
            #expect(notXML.status == .badRequest)
            #expect(notXML.detail?.hasPrefix("file: not a well-formed XML document") == true)

            let missingFile = try await server.uploadMultipart(session: pdfSession, name: "a.pdf", file: nil)
            #expect(missingFile.status == .badRequest)
            #expect(missingFile.detail == "file: this field is required")
            let missingName = try await server.uploadMultipart(session: pdfSession, name: nil, file: Samples.pdf)
            #expect(missingName.detail == "name: this field is required")
            let emptyFile = try await server.uploadMultipart(session: pdfSession, name: "a.pdf", file: [])
            #expect(emptyFile.detail == "file: the file is empty")

            let notMultipart = try await server.postJSON("/api/v1/session/documents/upload/", #"{"session_id":"x"}"#)
            #expect(notMultipart.status == .unsupportedMediaType)
            #expect(notMultipart.detail == "the body must be multipart/form-data with the fields session_id, name and file")

            #expect(try await server.documentCount() == 0)
        }
    }

    @Test("malformed, truncated and encrypted PDFs are clear 400s and store nothing")
    func badPDFs() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession().apiString
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pdfs-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data(Samples.pdf).write(to: folder.appendingPathComponent("plain.pdf"))
            try Tool.run("/usr/bin/qpdf", ["--encrypt", "", "owner", "256", "--", "plain.pdf", "encrypted.pdf"], in: folder)
            let encrypted = Array(try Data(contentsOf: folder.appendingPathComponent("encrypted.pdf")))
            let malformed = Array("%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\nstartxref\n7\n%%EOF\n".utf8)
            for (file, detail) in [
                (encrypted, "file: encrypted PDF documents are not accepted"),
                (malformed, "file: "),
                (Array(Samples.pdf.prefix(Samples.pdf.count / 2)), "file: not a complete PDF document"),
            ] {
                let response = try await server.uploadMultipart(session: session, name: "a.pdf", file: file)
                #expect(response.status == .badRequest)
                #expect(response.detail?.hasPrefix(detail) == true, "\(response.detail ?? "")")
            }
            #expect(try await server.documentCount() == 0)
        }
    }

    @Test("uploads only while STARTED")
    func onlyWhileStarted() async throws {
        try await TestServer.with { server in
            let id = try await server.createSession()
            let session = try #require(try await server.app.stores.sessions.stored(id))
            var lifecycle = session.lifecycle
            guard case .changed(let from, let to) = lifecycle.open() else { Issue.record("not opened"); return }
            try await server.app.stores.sessions.record(session, from: from, to: to, at: Date())

            let response = try await server.uploadBase64(session: id.uuidString, name: "a.pdf", file: Samples.pdf)
            #expect(response.status == .conflict)
            #expect(response.detail == "Documents can only be uploaded while the session is STARTED; this session is PROCESS")
            #expect(try await server.documentCount() == 0)
        }
    }

    @Test("another organization's session is 409, an unknown one 404, for every session endpoint")
    func isolation() async throws {
        try await TestServer.with { server in
            let mine = try await server.createSession()
            let theirs = try await server.createSession(key: server.otherKey)
            for id in [theirs.uuidString] {
                for path in ["/api/v1/session/status/?session_id=\(id)", "/api/v1/session/result?session_id=\(id)"] {
                    let response = try await server.send(.GET, path)
                    #expect(response.status == .conflict)
                    #expect(response.detail == "You don't have access to these session actions")
                }
                let upload = try await server.uploadBase64(session: id, name: "a.pdf", file: Samples.pdf)
                #expect(upload.status == .conflict)
                #expect(upload.detail == "You don't have access to these session actions")
                let multipart = try await server.uploadMultipart(session: id, name: "a.pdf", file: Samples.pdf)
                #expect(multipart.status == .conflict)
            }
            for unknown in [UUID().uuidString, "not-a-uuid"] {
                let status = try await server.send(.GET, "/api/v1/session/status?session_id=\(unknown)")
                #expect(status.status == .notFound)
                #expect(status.detail == "Session not found")
                let upload = try await server.uploadBase64(session: unknown, name: "a.pdf", file: Samples.pdf)
                #expect(upload.detail == "Session not found")
            }
            #expect(try await server.send(.GET, "/api/v1/session/status/?session_id=\(mine)", key: server.otherKey).status == .conflict)
            #expect(try await server.documentCount() == 0)
        }
    }
}
