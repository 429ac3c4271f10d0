import Vapor

/// `qoltanba serve`: prepares the database, starts the background work and Vapor's HTTP server,
/// and in sandbox mode prints the demo key, the URL and the test citizens.
struct QoltanbaServeCommand: AsyncCommand {
    typealias Signature = ServeCommand.Signature

    var help: String { "Begins serving Qoltanba over HTTP (--hostname, --port, --bind, --unix-socket)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.prepareDatabase()
        let demoKey = app.qoltanba.mode == .sandbox ? try await SandboxDemo.prepare(app) : nil
        StampedCopies.removeLeftoverDownloads(logger: app.logger)

        BackgroundJob.startAll(app)

        try await app.servers.asyncCommand.run(using: context, signature: signature)
        if let port = app.qoltanba.metricsPort {
            let hostname = app.http.server.configuration.hostname
            app.draining.stopsWith(try await MetricsListener.start(app, hostname: hostname, port: port))
            app.logger.notice("metrics served on their own port", metadata: ["url": "http://\(hostname):\(port)/metrics"])
        }

        let url = app.http.server.shared.localAddress.map { address in
            "http://\(address.ipAddress ?? "127.0.0.1"):\(address.port ?? 8080)"
        } ?? app.qoltanba.publicURL
        if let demoKey {
            Output.result(try SandboxDemo.banner(url: url, key: demoKey))
        }
        app.logger.notice("Qoltanba \(app.qoltanba.mode.rawValue) serving", metadata: ["url": "\(url)"])
    }
}
