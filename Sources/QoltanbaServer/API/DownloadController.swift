import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPersistence
import Vapor

/// `GET /api/v1/session/result/download/`: the stamped copies of a finished session as a ZIP, or
/// with `in_base64=true` as JSON. Copies are made one at a time and go straight into a temporary file, streamed.
struct DownloadController: RouteCollection {
    let configuration: QoltanbaConfiguration

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("api", "v1", "session", "result").grouped(APIKeyMiddleware()).get("download", use: download)
    }

    func download(_ request: Request) async throws -> Response {
        guard let text = try? request.query.get(String.self, at: "session_id"), !text.isEmpty else {
            throw QoltanbaError.missingField("session_id")
        }
        guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else { throw QoltanbaError.sessionNotFound }
        let session = try await request.stores.sessions.find(id, ownedBy: request.organizationID)
        let inBase64 = (try? request.query.get(String.self, at: "in_base64")).map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false
        let copies = StampedCopies(request, publicURL: configuration.publicURL)
        return inBase64 ? try await copies.base64Copies(of: session, request: request) : try await copies.archive(of: session, request: request)
    }
}
