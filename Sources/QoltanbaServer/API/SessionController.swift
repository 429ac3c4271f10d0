import Foundation
import QoltanbaCore
import Vapor

/// The API reference's integrator endpoints under `/api/v1/session`.
struct SessionController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped("api", "v1", "session").grouped(APIKeyMiddleware())
        // Room for the multipart framing and the other fields around a file of the largest size.
        let envelope = 64 * 1024
        let multipartLimit = configuration.maximumUploadBytes + envelope
        let base64Limit = (configuration.maximumUploadBytes + 2) / 3 * 4 + envelope

        session.on(.POST, "create", body: .collect(maxSize: "64kb"), use: create)
        session.on(.POST, "documents", "upload", body: .collect(maxSize: ByteCount(value: multipartLimit)), use: upload)
        session.on(.POST, "documents", "upload", "base64", body: .collect(maxSize: ByteCount(value: base64Limit)),
                   use: uploadBase64)
        session.get("result", use: result)
        session.get("status", use: status)
    }

    func create(request: Request) async throws -> Response {
        try await Idempotency.run(request, fingerprint: { Idempotency.jsonFingerprint(path: request.url.path, body: request.body.data) }) {
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
        let form = try MultipartForm.parts(request.body.data ?? ByteBuffer(), boundary: boundary)
        guard let sessionPart = form["session_id"] else { throw QoltanbaError.missingField("session_id") }
        guard let namePart = form["name"] else { throw QoltanbaError.missingField("name") }
        guard let filePart = form["file"] else { throw QoltanbaError.missingField("file") }
        return try await Idempotency.run(request, fingerprint: { Idempotency.formFingerprint(path: request.url.path, parts: form) }) {
            try await request.sessionService.upload(
                sessionText: String(buffer: sessionPart.body), name: String(buffer: namePart.body),
                content: Array(buffer: filePart.body), fileField: "file"
            ).encodeResponse(for: request)
        }
    }

    func uploadBase64(request: Request) async throws -> Response {
        try await Idempotency.run(request, fingerprint: { Idempotency.jsonFingerprint(path: request.url.path, body: request.body.data) }) {
            try await uploadBase64Once(request).encodeResponse(for: request)
        }
    }

    private func uploadBase64Once(_ request: Request) async throws -> DocumentResponse {
        let body = try request.decodeJSONBody(Base64UploadRequest.self)
        guard let sessionText = body.session_id else { throw QoltanbaError.missingField("session_id") }
        guard let name = body.name else { throw QoltanbaError.missingField("name") }
        guard let encoded = body.base64_file else { throw QoltanbaError.missingField("base64_file") }
        guard let content = Base64Text.decode(encoded) else {
            throw QoltanbaError.invalidField("base64_file", "not valid base64")
        }
        return try await request.sessionService.upload(
            sessionText: sessionText, name: name, content: content, fileField: "base64_file")
    }

    func result(request: Request) async throws -> SessionResultResponse {
        try await request.sessionService.result(sessionText: request.query[String.self, at: "session_id"])
    }

    func status(request: Request) async throws -> SessionStatusResponse {
        try await request.sessionService.status(sessionText: request.query[String.self, at: "session_id"])
    }
}
