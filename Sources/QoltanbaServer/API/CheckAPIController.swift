import Foundation
import QoltanbaCore
import Vapor

/// `GET /api/v1/check/{check_id}/`: the public check page's summary as JSON (no API key: the
/// check id is the capability a copy's QR code carries). Personal data is masked.
struct CheckAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("api", "v1", "check", ":check", use: summary)
    }

    func summary(_ request: Request) async throws -> CheckService.Summary {
        guard let checkID = request.parameters.get("check").flatMap(UUID.init(uuidString:)),
              let found = try await request.checkService.find(checkID: checkID)
        else { throw QoltanbaError(.sessionNotFound, "Session not found") }
        return found.summary
    }
}
