import NIOCore
import QoltanbaPersistence
import Vapor

/// `GET /metrics`: every metric in Prometheus's text format, on the main port; with
/// `QOLTANBA_METRICS_PORT` set, on that port alone (``MetricsListener``) and not on the main one.
struct MetricsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("metrics") { _ in Self.response() }
    }

    static func response() -> Response {
        Response(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(buffer: ByteBuffer(bytes: QoltanbaMetrics.exposition())))
    }
}

extension MetricsController {
    /// Counts the database connections in use (PostgreSQL only: it shows each connection's state in
    /// `pg_stat_activity`): a round of the connection-count job.
    static func countDatabaseConnections(_ app: Application) async throws {
        QoltanbaMetrics.databaseConnectionLimit(app.databaseConnections.limit)
        guard let counts = try await app.databaseConnectionsInUse() else { return }
        QoltanbaMetrics.databaseConnections(inUse: counts.inUse, idle: counts.idle)
    }
}

/// The metrics on a port of their own (`QOLTANBA_METRICS_PORT`), so that the main port, open to
/// the world, shows none: an HTTP server that answers `GET /metrics` and 404 to anything else.
enum MetricsListener {
    private struct MetricsResponder: Responder {
        func respond(to request: Request) -> EventLoopFuture<Response> {
            let found = request.url.path == "/metrics" && (request.method == .GET || request.method == .HEAD)
            let response = found
                ? MetricsController.response() : ProblemMiddleware.response(status: .notFound, detail: "Not Found")
            return request.eventLoop.makeSucceededFuture(response)
        }
    }

    /// Starts the listener on `port` of `hostname`; it stops with the application's HTTP server.
    static func start(_ app: Application, hostname: String, port: Int) async throws -> HTTPServer {
        var configuration = app.http.server.configuration
        configuration.hostname = hostname
        configuration.port = port
        let server = HTTPServer(application: app, responder: MetricsResponder(), configuration: configuration, on: app.eventLoopGroup)
        try await server.start(address: .hostname(hostname, port: port))
        return server
    }
}
