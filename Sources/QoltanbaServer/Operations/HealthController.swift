import QoltanbaPersistence
import Vapor

/// Health for load balancers and orchestrators:
/// - `GET /health`: 200 when the database answers (kept for existing checks);
/// - `GET /health/live`: 200 while the process runs;
/// - `GET /health/ready`: 200 when the database answers, every migration is applied and the
///   process is not shutting down; 503 with the reason otherwise.
struct HealthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let health = routes.grouped("health")
        health.get(use: database)
        health.get("live") { _ in ["status": "ok"] }
        health.get("ready", use: ready)
    }

    func database(_ request: Request) async throws -> [String: String] {
        try await request.stores.ping()
        return ["status": "ok"]
    }

    func ready(_ request: Request) async throws -> Response {
        if request.application.draining.isDraining {
            return ProblemMiddleware.response(status: .serviceUnavailable, detail: "shutting down")
        }
        let missing: [String]
        do {
            try await request.stores.ping()
            missing = try await request.stores.missingMigrations()
        } catch {
            request.logger.warning("readiness: the database does not answer", metadata: ["error": "\(error)"])
            return ProblemMiddleware.response(status: .serviceUnavailable, detail: "the database does not answer")
        }
        guard missing.isEmpty else {
            return ProblemMiddleware.response(
                status: .serviceUnavailable, detail: "\(missing.count) migrations are not applied (qoltanba serve applies them)")
        }
        return try await ["status": "ready"].encodeResponse(for: request)
    }
}
