import NIOConcurrencyHelpers
import Vapor

/// The orderly end of a server process. At shutdown (SIGTERM or SIGINT), before anything else
/// stops: readiness turns 503, the listener closes, and the requests in flight finish, for up to
/// `QOLTANBA_SHUTDOWN_GRACE_SECONDS`; only then do the background jobs stop and the database pools
/// close. Registered last, so it shuts down first (Vapor would otherwise close the pools before
/// the HTTP server, under requests still running).
final class Draining: LifecycleHandler, Sendable {
    private let started = NIOLockedValueBox(false)
    private let others = NIOLockedValueBox<[HTTPServer]>([])

    /// Another listener of this process (the metrics port), closed with the main one.
    func stopsWith(_ server: HTTPServer) {
        others.withLockedValue { $0.append(server) }
    }

    /// Whether the process has begun to shut down.
    var isDraining: Bool { started.withLockedValue { $0 } }

    func shutdownAsync(_ application: Application) async {
        started.withLockedValue { $0 = true }
        // An operator command ends here too, having served nothing.
        guard application.http.server.shared.localAddress != nil else { return }
        application.logger.notice("shutting down: the requests in flight finish first", metadata: [
            "grace_seconds": "\(application.qoltanba.shutdownGrace)",
        ])
        // Quiesces: no new connection, each request in flight answered, then its connection closed.
        await application.http.server.shared.shutdown()
        for server in others.withLockedValue({ $0 }) { await server.shutdown() }
        application.logger.notice("no request in flight; stopping the background work and the database pools")
    }
}

extension Application {
    /// The shutdown's first step (made by `configure`).
    var draining: Draining {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
