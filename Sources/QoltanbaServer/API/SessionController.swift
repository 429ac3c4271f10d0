import Foundation
import NIOFoundationCompat
import QoltanbaCore
import Vapor

/// The API reference's integrator endpoints under `/api/v1/session`.
struct SessionController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped("api", "v1", "session").grouped(APIKeyMiddleware())
        session.on(.POST, "create", body: .collect(maxSize: "64kb"), use: create)
        // The uploads read their bodies as they arrive: a file is never held as text or twice.
        session.on(.POST, "documents", "upload", body: .stream, use: upload)
        session.on(.POST, "documents", "upload", "base64", body: .stream, use: uploadBase64)
        session.get("result", use: result)
        session.get("status", use: status)
    }

    /// Room for the multipart framing and the other fields around a file of the largest size.
    private static let envelope = 64 * 1024
    private var multipartLimit: Int { configuration.maximumUploadBytes + Self.envelope }
    private var base64Limit: Int { (configuration.maximumUploadBytes + 2) / 3 * 4 + Self.envelope }

    func create(request: Request) async throws -> Response {
        let body = request.body.data.map { Data(buffer: $0) } ?? Data()
        return try await Idempotency.run(request, fingerprint: { Idempotency.jsonFingerprint(path: request.url.path, json: body) }) {
            try await request.sessionService.create(try request.decodeJSONBody(CreateSessionRequest.self)).encodeResponse(for: request)
        }
    }

    func upload(request: Request) async throws -> Response {
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data",
              let boundary = type.parameters["boundary"]
        else {
            throw QoltanbaError(
                .unsupportedMediaType,
                "the body must be multipart/form-data with the fields session_id, name and file")
        }
        let reader = MultipartReader(boundary: boundary, fields: [
            "session_id": 0, "name": 0, "file": min(request.declaredBodyLength ?? 0, multipartLimit),
        ])
        try await request.readBody(limit: multipartLimit) { try reader.feed($0) }
        let form = try reader.finish()
        guard let sessionPart = form["session_id"] else { throw QoltanbaError.missingField("session_id") }
        guard let namePart = form["name"] else { throw QoltanbaError.missingField("name") }
        guard let filePart = form["file"] else { throw QoltanbaError.missingField("file") }
        return try await Idempotency.run(request, fingerprint: { Idempotency.formFingerprint(path: request.url.path, parts: form) }) {
            try await request.sessionService.upload(
                sessionText: String(buffer: sessionPart.body), name: String(buffer: namePart.body),
                content: filePart.body, fileField: "file"
            ).encodeResponse(for: request)
        }
    }

    func uploadBase64(request: Request) async throws -> Response {
        var body = Base64UploadBody(expectedBytes: min(request.declaredBodyLength ?? 0, base64Limit) / 4 * 3)
        try await request.readBody(limit: base64Limit) { try body.feed($0.readableBytesView) }
        let (fields, json, file) = try body.finish()
        return try await Idempotency.run(
            request, fingerprint: { Idempotency.jsonFingerprint(path: request.url.path, json: json, file: file) }
        ) {
            guard let sessionText = fields.session_id else { throw QoltanbaError.missingField("session_id") }
            guard let name = fields.name else { throw QoltanbaError.missingField("name") }
            guard let file else { throw QoltanbaError.missingField("base64_file") }
            return try await request.sessionService.upload(
                sessionText: sessionText, name: name, content: file, fileField: "base64_file"
            ).encodeResponse(for: request)
        }
    }

    func result(request: Request) async throws -> SessionResultResponse {
        try await request.sessionService.result(sessionText: request.query[String.self, at: "session_id"])
    }

    func status(request: Request) async throws -> SessionStatusResponse {
        try await request.sessionService.status(sessionText: request.query[String.self, at: "session_id"])
    }
}
