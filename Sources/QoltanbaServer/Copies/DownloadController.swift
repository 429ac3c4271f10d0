import Fluent
import Foundation
import QoltanbaCore
import Vapor
import QoltanbaDocuments

/// `GET /api/v1/session/result/download/`: the stamped copies of a finished session as a ZIP, or
/// with `in_base64=true` as JSON. Copies are made one at a time and go straight into the archive.
struct DownloadController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("api", "v1", "session", "result").grouped(APIKeyMiddleware()).get("download", use: download)
    }

    struct Base64Copies: Content {
        struct Doc: Content {
            let id: String, name: String, file: String
        }

        let session_id: String
        let docs: [Doc]
    }

    func download(_ request: Request) async throws -> Response {
        guard let text = try? request.query.get(String.self, at: "session_id"), !text.isEmpty else {
            throw QoltanbaError.missingField("session_id")
        }
        guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else { throw QoltanbaError.sessionNotFound }
        let session = try await SessionRepository(database: request.db).find(id, ownedBy: request.organizationID)
        let inBase64 = (try? request.query.get(String.self, at: "in_base64")).map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false
        if inBase64 {
            var docs: [Base64Copies.Doc] = []
            try await Self.forEachCopy(of: session, StampedCopies(request, publicURL: configuration.publicURL)) { entry, name in
                docs.append(.init(id: entry.documentID.apiString, name: name, file: Data(entry.bytes).base64EncodedString()))
            }
            return try await Base64Copies(session_id: id.apiString, docs: docs).encodeResponse(for: request)
        }
        return try await Self.archive(of: session, request: request, configuration: configuration)
    }

    /// The ZIP of a finished session's stamped copies, as a download. The archive is written, one
    /// copy at a time, to a temporary file in a folder of its own that only this user may open
    /// (0700, the file 0600), streamed, and removed; so memory holds one document at a time.
    static func archive(of session: SigningSessionModel, request: Request, configuration: QoltanbaConfiguration) async throws -> Response {
        let copies = StampedCopies(request, publicURL: configuration.publicURL)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let zip = folder.appendingPathComponent("documents.zip")
        let response: Response
        do {
            let archive = try CopyArchive(file: zip)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: zip.path)
            try await forEachCopy(of: session, copies) { entry, name in
                try archive.add(name, entry.bytes)
            }
            response = try await request.fileio.asyncStreamFile(at: zip.path, mediaType: .zip) { _ in
                try? FileManager.default.removeItem(at: folder)
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"documents-\(try session.requireID().apiString).zip\"")
        return response
    }

    /// Calls `body` with each copy of a finished session's documents and its unique archive name.
    /// - Throws: the API reference's `Document file(s) not found` for a session that is not finished.
    static func forEachCopy(
        of session: SigningSessionModel, _ copies: StampedCopies,
        _ body: (StampedCopies.Entry, String) async throws -> Void
    ) async throws {
        guard session.lifecycle.state == .finished else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found")
        }
        let language = try await copies.language(of: session)
        var names = StampedCopies.UniqueNames()
        for document in try await copies.documents(of: session) {
            for entry in try await copies.entries(for: document, of: session, language: language) {
                try await body(entry, names.take(entry.name))
            }
        }
    }
}
