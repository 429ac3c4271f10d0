import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import QoltanbaCore
import SQLKit
import Vapor

/// Configures an application: database, middleware, providers, routes and commands.
///
/// Nothing here touches the database's contents; `Application.prepareDatabase()` migrates and
/// seeds, and is called by `serve`, the operator commands and the tests.
public func configure(_ app: Application, with configuration: QoltanbaConfiguration) async throws {
    app.qoltanba = configuration

    switch configuration.database {
    case .sqlite(let path):
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .postgres(let url):
        var postgres = try SQLPostgresConfiguration(url: url)
        if let schema = configuration.databaseSchema {
            postgres.searchPath = [schema]
        }
        app.databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: 4), as: .psql)
    }
    app.migrations.addQoltanbaMigrations()

    app.configureProviders()
    app.renderWorkers = RenderWorkers(threads: 2)
    app.lifecycle.use(app.renderWorkers)

    ContentConfiguration.global.use(decoder: GuardedFormDataDecoder(), for: .formData)
    app.middleware = Middlewares()
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

    app.asyncCommands.use(QoltanbaServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(OrganizationCommands(), as: "org")
    app.asyncCommands.use(APIKeyCommands(), as: "apikey")
    app.asyncCommands.use(CertificateCommands(), as: "cert")
    app.asyncCommands.use(WebhookCommands(), as: "webhook")
    app.asyncCommands.use(UserCommands(), as: "user")
}

extension Application {
    /// Brings the database up to date (migrations, then the sandbox's test citizens), tunes
    /// SQLite, and loads or creates the certificate authority. Safe to call from several
    /// instances at once: on PostgreSQL the migrations run under an advisory lock, and the CA is
    /// created once.
    public func prepareDatabase() async throws {
        switch qoltanba.database {
        case .sqlite:
            try await tuneSQLite()
            try await autoMigrate()
        case .postgres:
            if let schema = qoltanba.databaseSchema {
                try await (db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
            }
            try await withMigrationLock { try await self.autoMigrate() }
        }
        if qoltanba.mode == .sandbox {
            try await SandboxCitizens.seed(on: db)
        }
        pki = try await PKIService.load(database: db, configuration: qoltanba, masterKey: try loadMasterKey(), logger: logger)
    }

    /// WAL lets readers and a writer work at once; a busy timeout makes a writer wait for another
    /// instead of failing. The timeout is per connection: SQLite has one per event loop here.
    private func tuneSQLite() async throws {
        try await (db as! any SQLDatabase).raw("PRAGMA journal_mode = WAL").run()
        for eventLoop in eventLoopGroup.makeIterator() {
            guard let database = databases.database(logger: logger, on: eventLoop) as? any SQLDatabase else { continue }
            try await database.raw("PRAGMA busy_timeout = 5000").run()
        }
    }

    private func withMigrationLock(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let lockID: Int64 = 0x716f_6c74_616e_6261 // "qoltanba"
        try await db.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("SELECT pg_advisory_lock(\(bind: lockID))").run()
            do {
                try await body()
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(bind: lockID))").run()
        }
    }
}
