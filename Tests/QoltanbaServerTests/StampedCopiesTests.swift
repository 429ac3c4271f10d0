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

extension Browser {
    /// The whole flow: a new password the first time, the same one after; every document signed.
    mutating func signEverything(password: String = "correct horse") async throws {
        try await open()
        try await passBiometrics()
        if try await step() == "password-create" {
            _ = try await post("password", ["password": password, "password_confirm": password])
            _ = try await post("code", ["otp": try await newestCode()])
        } else {
            _ = try await post("password", ["password": password])
        }
        _ = try await post("certificate")
        _ = try await post("code", ["otp": try await newestCode()])
        try #require(try await SigningSessionModel.find(session, on: server.app.db)?.status == "FINISHED")
    }
}

@Suite("Stamped copies, download and the check page")
struct StampedCopiesTests {
    static let first = ("871008401427", "77011234567")
    static let second = ("760212350620", "77021234567")

    func signedSession(
        _ server: TestServer, _ citizen: (String, String) = first, type: String = "pdf", files: [(String, [UInt8])]
    ) async throws -> UUID {
        let session = try await server.createSession(iin: citizen.0, phone: citizen.1, type: type)
        for (name, bytes) in files {
            let upload = try await server.uploadBase64(session: session.apiString, name: name, file: bytes)
            try #require(upload.status == .ok, "\(upload.body.string)")
        }
        var browser = Browser(server, session: session)
        try await browser.signEverything()
        return session
    }

    /// Runs `unzip`; its output.
    static func unzip(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Tool.run("/usr/bin/unzip", arguments)
    }

    func checkID(_ server: TestServer, _ session: UUID) async throws -> String {
        try #require(try await SigningSessionModel.find(session, on: server.app.db)).checkID.apiString
    }

    @Test("the ZIP of a two-document session: one stamped copy each, unzip -t passes, names kept; in_base64 too")
    func download() async throws {
        try await TestServer.with { server in
            let unfinished = try await server.createSession()
            let early = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(unfinished.apiString)")
            #expect(early.status == .notFound && early.detail == "Document file(s) not found")

            let session = try await signedSession(server, files: [("Шарт №1.pdf", Samples.pdf), ("Шарт №1.pdf", Samples.pdf), ("a/b.pdf", Samples.pdf)])
            let response = try await server.send(.GET, "/api/v1/session/result/download?session_id=\(session.apiString)")
            #expect(response.status == .ok)
            #expect(response.headers.contentType == .zip)
            #expect(response.headers.first(name: .contentDisposition)?.contains("filename=\"documents-\(session.apiString).zip\"") == true)
            let archive = FileManager.default.temporaryDirectory.appendingPathComponent("documents-\(UUID()).zip")
            try Data(response.body.readableBytesView).write(to: archive)
            defer { try? FileManager.default.removeItem(at: archive) }
            let test = try Self.unzip(["-t", archive.path])
            #expect(test.status == 0, "\(test.output)")
            let listing = try Self.unzip(["-Z1", archive.path]).output.split(separator: "\n").map(String.init)
            #expect(listing == ["Шарт №1.pdf", "Шарт №1 (2).pdf", "a_b.pdf"])

            let documents = try await DocumentModel.query(on: server.app.db).filter(\.$session.$id == session).sort(\.$createdAt).sort(\.$id).all()
            let json = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(session.apiString)&in_base64=true").json()
            #expect(json["session_id"] as? String == session.apiString)
            let docs = try #require(json["docs"] as? [[String: String]])
            #expect(docs.map { $0["name"] ?? "" } == listing)
            for (doc, document) in zip(docs, documents) {
                #expect(doc["id"] == document.id?.apiString)
                let copy = Array(try #require(Data(base64Encoded: doc["file"] ?? "")))
                let inspection = try PDFStamper.inspect(copy)
                #expect(inspection.pages == 2 && inspection.documentID == document.id?.apiString)
            }
            // The original and its signature are untouched.
            #expect(try await server.app.stores.sessions.content(of: try #require(documents[0].id)) == Samples.pdf)
        }
    }

    @Test("an XML session's archive holds the original XML and a PDF signature sheet")
    func xml() async throws {
        try await TestServer.with { server in
            let session = try await signedSession(server, type: "xml", files: [("data.xml", Samples.xml)])
            let json = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(session.apiString)&in_base64=true").json()
            let docs = try #require(json["docs"] as? [[String: String]])
            #expect(docs.map { $0["name"] ?? "" } == ["data.xml", "data.xml.signatures.pdf"])
            #expect(Data(base64Encoded: docs[0]["file"] ?? "").map(Array.init) == Samples.xml)
            #expect(try PDFStamper.inspect(Array(try #require(Data(base64Encoded: docs[1]["file"] ?? "")))).pages == 1)
        }
    }

    @Test("the check page: masked signers; an original, a stamped copy, a changed file and a CMS each recognised; JSON too")
    func checkPage() async throws {
        try await TestServer.with { server in
            let session = try await signedSession(server, files: [("contract.pdf", Samples.pdf)])
            let check = try await checkID(server, session)
            let page = try await server.send(.GET, "/check/\(check)?language=en", key: "")
            #expect(page.status == .ok)
            let html = page.body.string
            for expected in ["First bank", "contract.pdf", "8710******27", "НҰРЛАНОВА ӘСЕЛ ҚАЙРАТҚЫЗЫ", "FINISHED"] {
                #expect(html.contains(expected), "\(expected)")
            }
            #expect(!html.contains("871008401427"))

            let summary = try await server.send(.GET, "/api/v1/check/\(check)/", key: "").json()
            #expect(summary["organization"] as? String == "First bank")
            let documents = try #require(summary["documents"] as? [[String: Any]])
            let signers = try #require(documents.first?["signers"] as? [[String: Any]])
            #expect(signers.first?["iin"] as? String == "8710******27")
            #expect(!String(describing: summary).contains("871008401427"))

            let copy = try await server.send(.GET, "/api/v1/session/result/download/?session_id=\(session.apiString)&in_base64=true").json()
            let stamped = Array(try #require(Data(base64Encoded: (copy["docs"] as? [[String: String]])?.first?["file"] ?? "")))
            let sign = Array(try #require(Data(base64Encoded: try await server.send(.GET, "/api/v1/session/result/?session_id=\(session.apiString)").json()["docs"].flatMap { ($0 as? [[String: Any]])?.first?["sign"] as? String } ?? "")))
            var changed = Samples.pdf
            changed[20] ^= 1
            for (bytes, verdict) in [(Samples.pdf, "original"), (stamped, "copy"), (changed, "no-match"), (sign, "cms-valid")] {
                let response = try await server.uploadMultipart(session: nil, name: nil, file: bytes, fileName: "file", key: "", path: "/check/\(check)")
                #expect(response.body.string.contains(#"data-verdict="\#(verdict)""#), "\(verdict)")
            }
            let unknown = try await server.send(.GET, "/check/\(UUID().apiString)", key: "")
            #expect(unknown.status == .notFound && unknown.headers.contentType == .html)
        }
    }

    @Test("a CMS signed before is co-signed: the result holds both signers, the sheet and the check page list both; the same file again links by hash")
    func severalSigners() async throws {
        try await TestServer.with { server in
            let first = try await signedSession(server, files: [("contract.pdf", Samples.pdf)])
            let firstSign = try #require(try await DocumentModel.query(on: server.app.db).filter(\.$session.$id == first).first()?.sign)
            let cms = Array(try #require(Data(base64Encoded: firstSign)))

            // The next signer gets the CMS itself as the document (the reference's multi-signer recipe).
            let second = try await signedSession(server, Self.second, files: [("contract.pdf", cms)])
            let document = try #require(try await DocumentModel.query(on: server.app.db).filter(\.$session.$id == second).first())
            #expect(document.sha256 == SHA256.hash(data: Samples.pdf).hexString)
            let verifier = try await server.app.pki.verifier(in: server.app.stores.certificates)
            let report = try await verifier.verify(Array(try #require(Data(base64Encoded: document.sign ?? ""))))
            #expect(report.indication == .totalPassed)
            // SignerInfos are a SET OF: DER orders them by their encoding, not by time.
            #expect(report.signers.compactMap(\.iin).sorted() == ["760212350620", "871008401427"])

            let page = try await server.send(.GET, "/check/\(try await checkID(server, second))", key: "").body.string
            #expect(page.contains("8710******27") && page.contains("7602******20"))
            let upload = try await server.uploadMultipart(session: nil, name: nil, file: Samples.pdf, fileName: "file", key: "", path: "/check/\(try await checkID(server, second))")
            #expect(upload.body.string.contains(#"data-verdict="original""#))

            // The same original file in a new session of the organization adds a third signature.
            let third = try await signedSession(server, files: [("contract.pdf", Samples.pdf)])
            let again = try #require(try await DocumentModel.query(on: server.app.db).filter(\.$session.$id == third).first()?.sign)
            let all = try await verifier.verify(Array(try #require(Data(base64Encoded: again))))
            #expect(all.signers.compactMap(\.iin).sorted() == ["760212350620", "871008401427", "871008401427"])

            // A CMS whose content was changed is refused at upload.
            var broken = cms
            if let index = broken.firstRange(of: Array("/Type /Catalog".utf8))?.lowerBound { broken[index + 1] = UInt8(ascii: "X") }
            let refused = try await server.uploadBase64(session: (try await server.createSession()).apiString, name: "x.pdf", file: broken)
            #expect(refused.status == .badRequest)
            #expect(refused.detail?.contains("does not verify") == true)
        }
    }

    @Test("the done screen offers the ZIP to the signer's browser, unless the metadata turns it off")
    func doneScreen() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
            var browser = Browser(server, session: session)
            try await browser.signEverything()
            let done = try await browser.open().body.string
            #expect(done.contains(#"data-action="download""#))
            let zip = try await server.send(.GET, "/sign/\(session.apiString)/download", key: "", headers: ["Cookie": browser.cookie ?? ""])
            #expect(zip.status == .ok && zip.headers.contentType == .zip)
            #expect(try await server.send(.GET, "/sign/\(session.apiString)/download", key: "").status == .notFound)

            let hidden = try #require(UUID(uuidString: try await server.postJSON(
                "/api/v1/session/create/", #"{"iin":"871008401427","phone":"77011234567","metadata":{"show_download_button":false}}"#
            ).json()["session_id"] as? String ?? ""))
            _ = try await server.uploadBase64(session: hidden.apiString, name: "a.pdf", file: Samples.pdf)
            var quiet = Browser(server, session: hidden)
            try await quiet.signEverything()
            #expect(!(try await quiet.open().body.string.contains("data-action=\"download\"")))
        }
    }
}
