import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import Vapor

/// The public check page the QR code of a stamped copy opens: `GET /check/{check_id}` (HTML, with
/// a form to check a file) and `POST /check/{check_id}` (the file); `CheckService` decides. The
/// JSON twin, `GET /api/v1/check/{check_id}/`, is `CheckAPIController`'s.
struct CheckController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        let check = routes.grouped("check", ":check")
        check.get(use: page)
        // Streamed: the body is read only after the check id and the declared length are checked.
        check.on(.POST, body: .stream, use: upload)
    }

    private func load(_ request: Request) async throws -> CheckService.Found? {
        guard let checkID = request.parameters.get("check").flatMap(UUID.init(uuidString:)) else { return nil }
        return try await request.checkService.find(checkID: checkID)
    }

    /// The largest body the check page reads: a CMS may carry a document of the upload limit, in base64 or PEM.
    private var bodyLimit: Int { configuration.maximumUploadBytes * 2 + 64 * 1024 }

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
        return try await render(request, loaded, verdict: try await request.checkService.classify(Array(file.readableBytesView), of: loaded))
    }

    /// The page of `loaded` (nil: the not-found page), with the verdict on an uploaded file.
    private func render(_ request: Request, _ loaded: CheckService.Found?, verdict: CheckPage.Verdict?) async throws -> Response {
        let page = CheckPage(
            language: ClientLanguage.choose(
                query: try? request.query.get(String.self, at: "language"), acceptLanguage: request.headers.first(name: .acceptLanguage)),
            dark: (try? request.query.get(String.self, at: "theme")) == "1")
        guard let loaded else { return page.notFound() }
        return page.render(loaded.summary, verdict: verdict)
    }
}
