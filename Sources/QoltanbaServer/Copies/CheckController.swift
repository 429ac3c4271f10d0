import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import Vapor

/// The public check page the QR code of a stamped copy opens: `GET /check/{check_id}` (HTML, with
/// a form to check a file), `POST /check/{check_id}` (the file), `GET /api/v1/check/{check_id}/`
/// (JSON). Personal data is masked.
struct CheckController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        let check = routes.grouped("check", ":check")
        check.get(use: page)
        // Streamed: the body is read only after the check id and the declared length are checked.
        check.on(.POST, body: .stream, use: upload)
        routes.get("api", "v1", "check", ":check", use: json)
    }

    // MARK: The session as the page shows it

    struct Signer: Content {
        /// The signature's verification when it was made: always `TOTAL_PASSED`, since no other is listed.
        let verification: String
        let name: String
        let iin: String
        let signed_at: String?
        let certificate_serial: String?
        let issuer: String?
    }

    struct Document: Content {
        let id: String
        let name: String
        let sha256: String
        let size: Int
        let signers: [Signer]
    }

    struct Summary: Content {
        let check_id: String
        let organization: String
        let status: String
        let documents: [Document]
    }

    private struct Loaded {
        let session: SigningSessionModel
        let documents: [DocumentModel]
        let summary: Summary
    }

    private func load(_ request: Request) async throws -> Loaded? {
        guard let checkID = request.parameters.get("check").flatMap(UUID.init(uuidString:)),
              let found = try await SigningSessionModel.query(on: request.db).filter(\.$checkID == checkID).first(),
              let session = try await SessionRepository(database: request.db).find(try found.requireID())
        else { return nil }
        let documents = try await StampedCopies(request, publicURL: configuration.publicURL).documents(of: session)
        var shown: [Document] = []
        for document in documents {
            let signers = StampedCopies.signers(of: document).map { signer in
                let printed = StampedCopies.sheetSigner(signer)
                return Signer(
                    verification: signer.indication.rawValue, name: printed.name, iin: printed.maskedIIN, signed_at: signer.signingTime.map(APITimestamp.format),
                    certificate_serial: signer.certificateSerial, issuer: signer.issuer)
            }
            shown.append(Document(id: try document.requireID().apiString, name: document.name, sha256: document.sha256, size: document.size, signers: signers))
        }
        let organization = try await OrganizationModel.find(session.$organization.id, on: request.db)?.name ?? ""
        return Loaded(
            session: session, documents: documents,
            summary: Summary(check_id: checkID.apiString, organization: organization, status: session.status, documents: shown))
    }

    /// The largest body the check page reads: a CMS may carry a document of the upload limit, in base64 or PEM.
    private var bodyLimit: Int { configuration.maximumUploadBytes * 2 + 64 * 1024 }

    func json(_ request: Request) async throws -> Summary {
        guard let loaded = try await load(request) else { throw QoltanbaError(.sessionNotFound, "Session not found") }
        return loaded.summary
    }

    // MARK: Pages

    func page(_ request: Request) async throws -> Response {
        try await render(request, try await load(request), verdict: nil)
    }

    /// What an uploaded file turned out to be.
    enum Verdict {
        case original(String)
        case copy(String)
        case cms(SignatureReport)
        case noMatch
    }

    func upload(_ request: Request) async throws -> Response {
        guard let loaded = try await load(request) else { return try await render(request, nil, verdict: nil) }
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > bodyLimit {
            throw Abort(.payloadTooLarge)
        }
        let body = try await request.body.collect(max: bodyLimit).get() ?? ByteBuffer()
        // The `file` part of a multipart/form-data body; no body, or no such part, matches nothing.
        guard body.readableBytes > 0 else { return try await render(request, loaded, verdict: .noMatch) }
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data",
              let boundary = type.parameters["boundary"]
        else {
            throw QoltanbaError.invalidField("body", "not a readable multipart/form-data body")
        }
        guard let file = try MultipartForm.parts(body, boundary: boundary)["file"]?.body, file.readableBytes > 0 else {
            return try await render(request, loaded, verdict: .noMatch)
        }
        return try await render(request, loaded, verdict: try await classify(Array(file.readableBytesView), loaded, request))
    }

    /// An original (its SHA-256), a stamped copy (the SHA-256 recorded when the copy was made), a
    /// CMS of one of the originals (verified), or nothing of this session (``UploadedFile/check(_:originals:copies:)``).
    /// Nothing is made or stored.
    private func classify(_ bytes: [UInt8], _ loaded: Loaded, _ request: Request) async throws -> Verdict {
        let copies = try await StampedCopies(request, publicURL: configuration.publicURL).copyDigests(of: loaded.documents)
        let documents = loaded.documents
        switch UploadedFile.check(bytes, originals: documents.map(\.sha256), copies: documents.map { $0.id.flatMap { copies[$0] } }) {
        case .original(let index): return .original(documents[index].name)
        case .copy(let index): return .copy(documents[index].name)
        case .signature(let cms): return .cms(try await request.application.pki.verifier(on: request.db).verify(cms))
        case .unknown: return .noMatch
        }
    }

    /// The page of `loaded` (nil: the not-found page), with the verdict on an uploaded file.
    private func render(_ request: Request, _ loaded: Loaded?, verdict: Verdict?) async throws -> Response {
        let language = ClientLanguage.choose(
            query: try? request.query.get(String.self, at: "language"), acceptLanguage: request.headers.first(name: .acceptLanguage))
        let dark = (try? request.query.get(String.self, at: "theme")) == "1"
        func t(_ key: ClientText, _ arguments: CustomStringConvertible...) -> String {
            HTML.escape(language.text(key, arguments: arguments))
        }
        guard let loaded else {
            return HTML.page(
                title: language.text(.checkTitle), language: language.rawValue, dark: dark,
                body: "<main><section class=\"step\" data-step=\"check-not-found\"><h1>\(t(.checkTitle))</h1><p>\(t(.checkNotFound))</p></section></main>",
                status: .notFound)
        }
        let summary = loaded.summary
        var body = """
            <header><span class="brand">Qoltanba</span> <span>\(t(.checkTitle))</span></header>
            <main><section class="step" data-step="check">
            <h1>\(t(.checkTitle))</h1>
            <dl class="certificate">
            <dt>\(t(.checkOrganization))</dt><dd>\(HTML.escape(summary.organization))</dd>
            <dt>\(t(.checkStatus))</dt><dd data-status="\(HTML.escape(summary.status))">\(HTML.escape(summary.status))</dd>
            </dl>
            """
        if let verdict {
            let (text, good): (String, Bool) = switch verdict {
            case .original(let name): (t(.checkOriginal, name), true)
            case .copy(let name): (t(.checkCopy, name), true)
            case .cms(let report) where report.indication == .totalPassed: (t(.checkCMSPassed), true)
            case .cms(let report): (t(.checkCMSFailed, report.subIndication?.rawValue ?? report.indication.rawValue), false)
            case .noMatch: (t(.checkNoMatch), false)
            }
            let kind = switch verdict {
            case .original: "original"
            case .copy: "copy"
            case .cms(let report): report.indication == .totalPassed ? "cms-valid" : "cms-invalid"
            case .noMatch: "no-match"
            }
            body += "<p class=\"\(good ? "verdict" : "error")\" role=\"status\" data-verdict=\"\(kind)\">\(text)</p>\n"
        }
        for document in summary.documents {
            let signers = document.signers.isEmpty ? "<p class=\"hint\">\(t(.checkNoSigners))</p>" : "<ol class=\"signers\">" + document.signers.map { signer in
                "<li data-verification=\"\(HTML.escape(signer.verification))\"><strong>\(HTML.escape(signer.name))</strong><br>\(t(.checkVerified)): \(HTML.escape(signer.verification))<br>\(t(.sheetIIN)): \(HTML.escape(signer.iin))<br>\(t(.sheetSignedAt)): \(HTML.escape(signer.signed_at.flatMap { try? Date($0, strategy: .iso8601) }.map(StampedCopies.almatyTime) ?? "—"))<br>\(t(.sheetSerial)): <span class=\"serial\">\(HTML.escape(signer.certificate_serial ?? "—"))</span></li>"
            }.joined() + "</ol>"
            body += """
                <h2>\(HTML.escape(document.name))</h2>
                <dl class="certificate">
                <dt>\(t(.sheetSHA256))</dt><dd class="serial">\(document.sha256)</dd>
                <dt>\(t(.checkSize))</dt><dd>\(document.size)</dd>
                </dl>
                <h3>\(t(.sheetSigners))</h3>
                \(signers)

                """
        }
        body += """
            <form method="post" enctype="multipart/form-data" action="/check/\(summary.check_id)?language=\(language.rawValue)\(dark ? "&amp;theme=1" : "")">
            <label for="file">\(t(.checkUploadLabel))</label>
            <input id="file" name="file" type="file" required>
            <button type="submit" data-action="next">\(t(.checkAction))</button>
            </form>
            </section></main>
            """
        return HTML.page(title: language.text(.checkTitle), language: language.rawValue, dark: dark, body: body)
    }
}
