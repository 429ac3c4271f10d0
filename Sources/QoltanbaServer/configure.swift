import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// Configures an application: database, middleware, providers, routes and commands.
///
/// Nothing here touches the database's contents; `Application.prepareDatabase()` migrates and
/// seeds, and is called by `serve`, the operator commands and the tests.
public func configure(_ app: Application, with configuration: QoltanbaConfiguration) async throws {
    app.qoltanba = configuration
    QoltanbaMetrics.bootstrap()

    let (pause, logger) = (configuration.testPause, app.logger)
    try app.useDatabase(
        configuration.database, schema: configuration.databaseSchema,
        masterKey: { [weak app] in
            guard let app else { throw QoltanbaError(.operatorError, "the application has shut down") }
            return try app.loadMasterKey()
        },
        afterMigration: { await TestPause.at(.migrationApplied, pause, logger: logger) })

    app.configureProviders()
    app.renderWorkers = WorkerPool("document", threads: 2, capacity: 4)
    app.lifecycle.use(app.renderWorkers)
    // About 0.1 s a piece: sixteen waiting is under a second of delay; more are refused.
    app.keyWorkers = KeyWorkers(pool: WorkerPool("password key", threads: 2, capacity: 16))
    app.lifecycle.use(app.keyWorkers.pool)
    app.background = BackgroundWork()
    app.rateLimiter = RateLimiter(limit: configuration.rateLimitPerMinute)
    app.apiKeyCache = APIKeyCache()
    app.apiKeyUse = APIKeyUse()
    // Before the background work, so that at shutdown they close after it.
    app.webhookClients = WebhookClients(eventLoopGroup: app.eventLoopGroup)
    app.lifecycle.use(app.webhookClients)
    app.lifecycle.use(app.background)

    ContentConfiguration.global.use(decoder: GuardedFormDataDecoder(), for: .formData)
    app.middleware = Middlewares()
    app.middleware.use(RequestIDMiddleware())
    if !configuration.corsOrigins.isEmpty {
        let origins: CORSMiddleware.AllowOriginSetting =
            configuration.corsOrigins == ["*"] ? .all : .any(configuration.corsOrigins)
        app.middleware.use(CORSMiddleware(configuration: .init(
            allowedOrigin: origins,
            allowedMethods: [.GET, .POST, .OPTIONS],
            allowedHeaders: [.accept, .contentType, .origin, "x-api-key"])))
    }
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(ProblemMiddleware())

    try routes(app)
    if configuration.mode == .sandbox {
        try app.register(collection: SandboxSMSController())
    }
    app.middleware.use(MethodNotAllowedMiddleware(routes: app.routes))

    // Registered last, so that at shutdown it runs first: requests in flight finish before the
    // background work and the database pools stop.
    app.http.server.configuration.shutdownTimeout = .seconds(Int64(configuration.shutdownGrace))
    app.draining = Draining()
    app.lifecycle.use(app.draining)

    app.asyncCommands.use(QoltanbaServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(OrganizationCommands(), as: "org")
    app.asyncCommands.use(APIKeyCommands(), as: "apikey")
    app.asyncCommands.use(CertificateCommands(), as: "cert")
    app.asyncCommands.use(WebhookCommands(), as: "webhook")
    app.asyncCommands.use(UserCommands(), as: "user")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(KeyCommands(), as: "keys")
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
}

extension Application {
    /// Brings the database up to date (migrations, then the sandbox's test citizens), tunes
    /// SQLite, and loads or creates the certificate authority. Safe to call from several
    /// instances at once: on PostgreSQL the migrations run under an advisory lock, and the CA is
    /// created once.
    public func prepareDatabase() async throws {
        try await migrateDatabase()
        if qoltanba.mode == .sandbox {
            try await SandboxCitizens.seed(in: stores.citizens)
        }
        sealer = Sealer(masterKey: try loadMasterKey())
        pki = try await PKIService.load(store: stores.certificates, configuration: qoltanba, sealer: sealer, workers: keyWorkers.pool, logger: logger)
    }
}
