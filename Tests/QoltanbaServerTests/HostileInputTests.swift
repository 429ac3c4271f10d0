import Crypto
import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

/// The findings of an attacker's look at the service, each kept from coming back.
@Suite("Hostile input")
struct HostileInputTests {
    /// A CMS whose SignerInfo has an empty digestAlgorithm SEQUENCE: it once stopped the process.
    static let emptyDigestAlgorithm: [UInt8] = [
        0x30, 0x47, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0, 0x3A, 0x30, 0x38, 0x02, 0x01, 0x01,
        0x31, 0x00, 0x30, 0x12, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01, 0xA0, 0x05, 0x04, 0x03, 0x25,
        0x50, 0x44, 0x31, 0x1F, 0x30, 0x1D, 0x02, 0x01, 0x01, 0x30, 0x05, 0x30, 0x00, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x0A,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02, 0x04, 0x01, 0x00,
    ]

    @Test("the CMS that stopped the process is a clear answer everywhere it can be sent, and the server goes on")
    func crashBytes() async throws {
        try await TestServer.with { server in
            #expect(throws: CMSError.self) { try CMSSignedData(berEncoded: Self.emptyDigestAlgorithm) }
            let session = try await server.createSession()
            let check = try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString
            let page = try await server.uploadMultipart(
                session: nil, name: nil, file: Self.emptyDigestAlgorithm, fileName: "file", key: "", path: "/check/\(check)")
            #expect(page.status == .ok && page.body.string.contains(#"data-verdict="no-match""#))

            let verify = try await server.postJSON(
                "/api/v1/signature/verify/", #"{"cms":"\#(Data(Self.emptyDigestAlgorithm).base64EncodedString())"}"#)
            #expect(verify.status == .badRequest)
            #expect(verify.detail?.contains("not a readable CMS structure") == true, "\(verify.detail ?? "")")
            #expect(verify.detail.map { !$0.contains(".swift") && !$0.contains("#") } == true)

            for upload in [
                try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Self.emptyDigestAlgorithm),
                try await server.uploadMultipart(session: session.apiString, name: "a.pdf", file: Self.emptyDigestAlgorithm),
            ] {
                #expect(upload.status == .badRequest)
            }
            #expect(try await server.documentCount() == 0)
            #expect(try await server.send(.GET, "/health", key: "").status == .ok)
        }
    }

    /// A self-signed certificate naming a person (`SERIALNUMBER=IIN…, C=KZ`) and a CMS it made of
    /// `document`, both by `openssl` now: what a forger can make.
    static func forgedSignature(of document: [UInt8], in folder: URL) throws -> (cms: [UInt8], certificate: String) {
        try Data(document).write(to: folder.appendingPathComponent("document.pdf"))
        let made = try Tool.run("/usr/bin/openssl", [
            "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "forged.key",
            "-out", "forged.pem", "-days", "30", "-subj", "/CN=FORGED PERSON/serialNumber=IIN760212350620/C=KZ",
        ], in: folder, errors: true)
        try #require(made.status == 0, "\(made.output)")
        let signed = try Tool.run("/usr/bin/openssl", [
            "cms", "-sign", "-binary", "-nodetach", "-in", "document.pdf", "-signer", "forged.pem", "-inkey", "forged.key",
            "-outform", "DER", "-out", "forged.p7s",
        ], in: folder, errors: true)
        try #require(signed.status == 0, "\(signed.output)")
        return (Array(try Data(contentsOf: folder.appendingPathComponent("forged.p7s"))), folder.appendingPathComponent("forged.pem").path)
    }

    @Test("an earlier signature by a self-signed certificate naming a person is refused at upload; a root in QOLTANBA_TRUST_ANCHORS is trusted")
    func forgedEarlierSigner() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("forged-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (forged, certificate) = try Self.forgedSignature(of: Samples.pdf, in: folder)

        try await TestServer.with { server in
            let session = try await server.createSession()
            for upload in [
                try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: forged),
                try await server.uploadMultipart(session: session.apiString, name: "a.pdf", file: forged),
            ] {
                #expect(upload.status == .badRequest)
                #expect(upload.detail == "file: the earlier signature is not accepted: its certificate does not chain to a trusted root (NO_CERTIFICATE_CHAIN_FOUND)"
                    || upload.detail == "base64_file: the earlier signature is not accepted: its certificate does not chain to a trusted root (NO_CERTIFICATE_CHAIN_FOUND)",
                    "\(upload.detail ?? "")")
            }
            #expect(try await server.documentCount() == 0)
        }
        try await TestServer.with(environment: ["QOLTANBA_TRUST_ANCHORS": certificate]) { server in
            let session = try await server.createSession()
            let upload = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: forged)
            #expect(upload.status == .ok, "\(upload.body.string)")
        }
    }

    @Test("the check page and its JSON list only signers whose signatures verified, each with its verification")
    func onlyVerifiedSigners() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
            let document = try #require(try await DocumentModel.query(on: server.app.db).first())
            var passed = SignatureReport.Signer(indication: .totalPassed)
            passed.name = "REAL PERSON"
            passed.iin = "871008401427"
            var unverified = SignatureReport.Signer(indication: .indeterminate)
            unverified.name = "FORGED PERSON"
            unverified.iin = "760212350620"
            document.signers = String(decoding: try JSONEncoder().encode([unverified, passed]), as: UTF8.self)
            try await document.save(on: server.app.db)
            let check = try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString

            let summary = try await server.send(.GET, "/api/v1/check/\(check)/", key: "").json()
            let signers = try #require((summary["documents"] as? [[String: Any]])?.first?["signers"] as? [[String: Any]])
            #expect(signers.map { $0["name"] as? String } == ["REAL PERSON"])
            #expect(signers.first?["verification"] as? String == "TOTAL_PASSED")
            let page = try await server.send(.GET, "/check/\(check)", key: "").body.string
            #expect(page.contains("REAL PERSON") && !page.contains("FORGED PERSON"))
            #expect(page.contains(#"data-verification="TOTAL_PASSED""#))
        }
    }

    // The declared length is checked before the body is read: `integration/compat/test_hostile.py`
    // sends the headers alone over a real socket.
    @Test("the check page refuses a body past its limit, and answers an unknown id with its page")
    func checkPageBounds() async throws {
        try await TestServer.with(environment: ["QOLTANBA_MAX_UPLOAD_BYTES": "1000"]) { server in
            let session = try await server.createSession()
            let check = try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString
            let unknown = try await server.uploadMultipart(session: nil, name: nil, file: Samples.pdf, fileName: "file", key: "", path: "/check/\(UUID().apiString)")
            #expect(unknown.status == .notFound && unknown.body.string.contains("check-not-found"))
            let body = ByteBuffer(bytes: Array(repeating: UInt8(ascii: "a"), count: 200_000))
            let undeclared = try await server.send(
                .POST, "/check/\(check)", key: "", headers: ["Content-Type": "multipart/form-data; boundary=x"], body: body)
            #expect(undeclared.status == .payloadTooLarge)
        }
    }

    @Test("a session takes at most QOLTANBA_MAX_SESSION_DOCUMENTS documents and QOLTANBA_MAX_SESSION_BYTES bytes")
    func sessionLimits() async throws {
        try await TestServer.with(environment: ["QOLTANBA_MAX_SESSION_DOCUMENTS": "2"]) { server in
            let session = try await server.createSession().apiString
            for name in ["a.pdf", "b.pdf"] {
                #expect(try await server.uploadBase64(session: session, name: name, file: Samples.pdf).status == .ok)
            }
            let third = try await server.uploadBase64(session: session, name: "c.pdf", file: Samples.pdf)
            #expect(third.status == .payloadTooLarge)
            #expect(third.detail == "the session already holds 2 documents, the limit (QOLTANBA_MAX_SESSION_DOCUMENTS)")
            #expect(try await server.documentCount() == 2)
        }
        let limit = Samples.pdf.count * 2 - 1
        try await TestServer.with(environment: ["QOLTANBA_MAX_SESSION_BYTES": "\(limit)"]) { server in
            let session = try await server.createSession().apiString
            #expect(try await server.uploadBase64(session: session, name: "a.pdf", file: Samples.pdf).status == .ok)
            let second = try await server.uploadMultipart(session: session, name: "b.pdf", file: Samples.pdf)
            #expect(second.status == .payloadTooLarge)
            #expect(second.detail?.hasSuffix("more than the limit of \(limit) bytes (QOLTANBA_MAX_SESSION_BYTES)") == true)
            #expect(try await server.documentCount() == 1)
        }
        // An earlier signature is kept with its document, so its bytes count too.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cms, anchor) = try Self.forgedSignature(of: Samples.pdf, in: folder)
        try await TestServer.with(environment: [
            "QOLTANBA_MAX_SESSION_BYTES": "\(Samples.pdf.count + cms.count / 2)", "QOLTANBA_TRUST_ANCHORS": anchor,
        ]) { server in
            let session = try await server.createSession().apiString
            let signed = try await server.uploadBase64(session: session, name: "a.pdf", file: cms)
            #expect(signed.status == .payloadTooLarge, "\(signed.body.string)")
            #expect(try await server.uploadBase64(session: session, name: "a.pdf", file: Samples.pdf).status == .ok)
        }
    }

    @Test("names: bidi controls, zero-width and control characters are refused, names are stored in NFC, archive names keep the true extension")
    func names() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession().apiString
            for name in ["invoice\u{202E}fdp.bat", "a\u{200B}b.pdf", "a\u{2066}b.pdf", "a\u{FEFF}.pdf", "a\u{0}.pdf", "a\u{E000}.pdf",
                         "a" + String(repeating: "\u{20DD}", count: 22_000) + ".pdf"] {
                let refused = try await server.uploadMultipart(session: session, name: name, file: Samples.pdf)
                #expect(refused.status == .badRequest, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(refused.detail?.hasPrefix("name: must") == true, "\(refused.detail ?? "")")
            }
            #expect(try await server.documentCount() == 0)
            let decomposed = "Cafe\u{0301}.pdf"
            let stored = try await server.uploadBase64(session: session, name: decomposed, file: Samples.pdf)
            #expect(try stored.json()["name"] as? String == "Caf\u{E9}.pdf")
        }
        #expect(DocumentName.withExtension("invoice.bat", "pdf") == "invoice.bat.pdf")
        #expect(DocumentName.withExtension("Шарт.PDF", "pdf") == "Шарт.PDF")
        #expect(DocumentName.cleaned("a\u{202E}b\u{200D}c") == "abc")
    }

    @Test("a part header name outside ASCII (which stops MultipartKit's parser) is a 400 on every multipart endpoint, and the server goes on")
    func multipartHeaderNames() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            let check = try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString
            let body = ByteBuffer(bytes: Array("--B\r\n".utf8) + [0xC3, 0xA9] + Array(": x\r\n\r\nv\r\n--B--\r\n".utf8))
            let headers: HTTPHeaders = ["Content-Type": "multipart/form-data; boundary=B"]
            for (path, key) in [("/api/v1/session/documents/upload/", server.key), ("/check/\(check)", ""), ("/cabinet/login", "")] {
                let response = try await server.send(.POST, path, key: key, headers: headers, body: body)
                #expect(response.status == .badRequest || response.status == .forbidden, "\(path): \(response.status)")
            }
            #expect(throws: QoltanbaError.self) { try MultipartGuard.check(body, boundary: "B") }
            // The same byte after a header line ended by LF alone, which MultipartKit does not take as a line's end.
            let loneLF = ByteBuffer(bytes: Array("--B\r\nContent-Disposition: form-data; name=\"a\"\n\r\n".utf8) + [0xFF]
                + Array(": x\r\n\r\nv\r\n--B--\r\n".utf8))
            for (path, key) in [("/api/v1/session/documents/upload/", server.key), ("/check/\(check)", ""), ("/cabinet/login", "")] {
                let response = try await server.send(.POST, path, key: key, headers: headers, body: loneLF)
                #expect(response.status == .badRequest || response.status == .forbidden, "\(path): \(response.status)")
            }
            // A UTF-8 file name in a header value is fine.
            let named = ByteBuffer(string: "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Шарт.pdf\"\r\n\r\nv\r\n--B--\r\n")
            #expect(throws: Never.self) { try MultipartGuard.check(named, boundary: "B") }
            #expect(try await server.send(.GET, "/health", key: "").status == .ok)
        }
    }

    @Test("an unknown method on a known path is 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestServer.with { server in
            for (method, path, allowed) in [
                (HTTPMethod.TRACE, "/api/v1/session/create/", "POST"), (.GET, "/api/v1/session/create/", "POST"),
                (.DELETE, "/api/v1/session/status/", "GET, HEAD"), (.PUT, "/check/\(UUID().apiString)", "GET, POST, HEAD"),
            ] {
                let response = try await server.send(method, path, key: "")
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers.first(name: .allow).map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
                    == Set(allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }), "\(method) \(path)")
                #expect(response.detail?.isEmpty == false)
            }
            #expect(try await server.send(.TRACE, "/no/such/path", key: "").status == .notFound)
        }
    }

    @Test("a redirect_url outside the organization's allowed origins is ignored: the flow goes on and ends on the outcome page")
    func redirectOrigins() async throws {
        try await TestServer.with { server in
            let store = OrganizationStore(database: server.app.db)
            let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            #expect(try await store.setRedirectOrigins("https://Bank.example.kz:443/, https://app.bank.example.kz:8443", field: "--origins", for: organization.id)
                == ["https://bank.example.kz", "https://app.bank.example.kz:8443"])
            for wrong in ["https://bank.example.kz/back", "ftp://bank.example.kz", "bank.example.kz", "https://user@bank.example.kz"] {
                await #expect(throws: QoltanbaError.self, "\(wrong)") {
                    try await store.setRedirectOrigins(wrong, field: "--origins", for: organization.id)
                }
            }

            let outside = try await server.createSession()
            _ = try await server.uploadBase64(session: outside.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: outside)
            let opened = try await browser.open("&redirect_url=https%3A%2F%2Fevil.example%2F")
            #expect(opened.status == .ok && opened.body.string.contains(#"data-step="documents""#))
            #expect(try await SigningFlowModel.find(outside, on: server.app.db)?.redirectURL == nil)
            try await browser.signEverything()
            let end = try await browser.open()
            #expect(end.status == .ok && end.headers.first(name: .location) == nil)

            let inside = try await server.createSession()
            _ = try await server.uploadBase64(session: inside.apiString, name: "a.pdf", file: Samples.pdf)
            var allowed = Browser(server, session: inside)
            _ = try await allowed.open("&redirect_url=https%3A%2F%2Fapp.bank.example.kz%3A8443%2Fdone%3Fx%3D1")
            #expect(try await SigningFlowModel.find(inside, on: server.app.db)?.redirectURL == "https://app.bank.example.kz:8443/done?x=1")

            // An empty list allows any URL again.
            #expect(try await store.setRedirectOrigins("", field: "--origins", for: organization.id).isEmpty)
            #expect(organization.allowsRedirect(to: "https://evil.example/"))
        }
    }

    @Test("a copy is made once, when the session is signed (else at the first download), and known by its SHA-256; a file naming a document is not a copy, and a stranger's upload makes nothing")
    func storedCopies() async throws {
        try await TestServer.with { server in
            let session = try await StampedCopiesTests().signedSession(server, files: [("invoice.bat", Samples.pdf)])
            let check = try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString
            let document = try #require(try await DocumentModel.query(on: server.app.db).first())
            // What a forger can make: the original with a sheet of their own and the document's id.
            let sheet = try SignatureSheet(
                captions: StampedCopies.captions(.en), documentName: "invoice.bat", sha256: document.sha256,
                signers: [.init(name: "FORGED PERSON", maskedIIN: "7602******20", signedAt: "—", serial: "01", issuer: "—")],
                checkURL: "http://127.0.0.1/check/\(check)", date: Date()).pdf()
            let named = try PDFStamper.stamp(Samples.pdf, sheet: sheet, documentID: try document.requireID().apiString)
            let forged = try await server.uploadMultipart(session: nil, name: nil, file: named, fileName: "file", key: "", path: "/check/\(check)")
            #expect(forged.body.string.contains(#"data-verdict="no-match""#))
            // The copy was made when the session was signed; the forged upload made nothing more.
            let made = try #require(try await DocumentCopyModel.find(document.id, on: server.app.db))
            #expect(try await DocumentCopyModel.query(on: server.app.db).count() == 1)
            // As if the process had stopped between the signatures' commit and the copies: the first download makes it.
            try await DocumentCopyModel.query(on: server.app.db).delete()

            let temporary = FileManager.default.temporaryDirectory
            func archiveFolders() throws -> Set<String> {
                Set(try FileManager.default.contentsOfDirectory(atPath: temporary.path).filter { $0.hasPrefix("qoltanba-archive-") })
            }
            let before = try archiveFolders()
            let zip = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(session.apiString)")
            #expect(zip.status == .ok)
            // Other suites may be downloading at the same time: their folders go too, once sent.
            var left = try archiveFolders().subtracting(before)
            for _ in 0..<100 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                left = try archiveFolders().subtracting(before)
            }
            #expect(left.isEmpty, "the archive's folder was left behind")
            let folder = temporary.appendingPathComponent("zip-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data(zip.body.readableBytesView).write(to: folder.appendingPathComponent("copies.zip"))
            #expect(try Tool.run("/usr/bin/unzip", ["-Z1", "copies.zip"], in: folder).output.split(separator: "\n") == ["invoice.bat.pdf"])

            let stored = try #require(try await DocumentCopyModel.find(document.id, on: server.app.db))
            let again = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(session.apiString)&in_base64=true").json()
            let copy = Array(try #require(Data(base64Encoded: (again["docs"] as? [[String: String]])?.first?["file"] ?? "")))
            #expect(Data(copy) == stored.content && stored.sha256 == SHA256.hash(data: copy).hexString)
            #expect(made.content == stored.content, "the copy made at signing differs from the one made at download")
            #expect(try await DocumentCopyModel.query(on: server.app.db).count() == 1)
            let recognised = try await server.uploadMultipart(session: nil, name: nil, file: copy, fileName: "file", key: "", path: "/check/\(check)")
            #expect(recognised.body.string.contains(#"data-verdict="copy""#))
        }
    }

    @Test("document work past the render budget fails at once as documentTooComplex (422); work within it returns its result")
    func renderBudget() async throws {
        try await TestServer.with(environment: ["QOLTANBA_RENDER_TIMEOUT_SECONDS": "1"]) { server in
            let budget = server.app.renderBudget
            let started = ContinuousClock.now
            let error = await #expect(throws: QoltanbaError.self) {
                try await budget.run { () -> Int in
                    Thread.sleep(forTimeInterval: 4)
                    return 1
                }
            }
            #expect(error?.code == .documentTooComplex)
            #expect(ContinuousClock.now - started < .seconds(3), "the caller waited for the work instead of the budget")
            #expect(ProblemMiddleware.status(of: .documentTooComplex) == .unprocessableEntity)
            let answer = try await budget.run { 42 }
            #expect(answer == 42)

            // Work past its budget keeps its place until it ends: a flood of slow documents is refused, not queued.
            try await Task.sleep(for: .seconds(4))  // the first sleeper above has ended
            let gate = DispatchSemaphore(value: 0)
            let capacity = server.app.renderWorkers.capacity
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<capacity {
                    group.addTask { _ = try? await budget.run { gate.wait() } }
                }
            }
            let busy = await #expect(throws: QoltanbaError.self) { try await budget.run { 1 } }
            #expect(busy?.code == .busy)
            for _ in 0..<capacity { gate.signal() }
            var later: Int?
            for _ in 0..<50 where later == nil {
                later = try? await budget.run { 2 }
                if later == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(later == 2)
        }
    }
}
