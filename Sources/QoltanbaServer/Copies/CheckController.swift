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
              let session = try await request.stores.sessions.find(checkID: checkID)
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
        let organization = try await request.stores.organizations.organization(session.organizationID)?.name ?? ""
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
        guard let file = try MultipartReader.parts(body, boundary: boundary, fields: ["file"])["file"]?.body, file.readableBytes > 0 else {
            return try await render(request, loaded, verdict: .noMatch)
        }
        return try await render(request, loaded, verdict: try await classify(Array(file.readableBytesView), loaded, request))
    }

    /// An original (its SHA-256), a stamped copy (the SHA-256 recorded when the copy was made), a
    /// CMS of one of the originals (verified), or nothing of this session (``UploadedFile/check(_:originals:copies:)``).
    /// Nothing is made or stored.
    private func classify(_ bytes: [UInt8], _ loaded: Loaded, _ request: Request) async throws -> CheckPage.Verdict {
        let copies = try await StampedCopies(request, publicURL: configuration.publicURL).copyDigests(of: loaded.documents)
        let documents = loaded.documents
        switch UploadedFile.check(bytes, originals: documents.map(\.sha256), copies: documents.map { $0.id.flatMap { copies[$0] } }) {
        case .original(let index): return .original(documents[index].name)
        case .copy(let index): return .copy(documents[index].name)
        case .signature(let cms): return .cms(try await request.application.pki.verifier(in: request.stores.certificates).verify(cms))
        case .unknown: return .noMatch
        }
    }

    /// The page of `loaded` (nil: the not-found page), with the verdict on an uploaded file.
    private func render(_ request: Request, _ loaded: Loaded?, verdict: CheckPage.Verdict?) async throws -> Response {
        let page = CheckPage(
            language: ClientLanguage.choose(
                query: try? request.query.get(String.self, at: "language"), acceptLanguage: request.headers.first(name: .acceptLanguage)),
            dark: (try? request.query.get(String.self, at: "theme")) == "1")
        guard let loaded else { return page.notFound() }
        return page.render(loaded.summary, verdict: verdict)
    }
}
