import Foundation
import QoltanbaPersistence
import Vapor

/// Every background job of a serving process, declared once: its period, the folder that owns its
/// work, and the work of one round. `qoltanba serve` starts those its database needs
/// (``runs(on:)``); they stop together at shutdown. A round with nothing due writes nothing.
enum BackgroundJob: String, CaseIterable, Sendable {
    /// Records the expiry of sessions past their time to live (reads show it at once).
    case sessionExpiry = "session expiry sweep"
    /// Issues a new CRL when the current one nears its next update or a revocation is not on it.
    case revocationList = "revocation list refresh"
    /// Delivers the webhook events that are due.
    case webhookDelivery = "webhook delivery round"
    /// Removes the answers of retried creations past their lifetime.
    case idempotencyPurge = "idempotency key purge"
    /// Writes when each API key was last used, as noted by the requests since the last round.
    case apiKeyUse = "API key use"
    /// Shares the rate limit's counts between the instances of one PostgreSQL.
    case rateLimitSharing = "rate limit sharing"
    /// Counts the database connections in use, for the metrics.
    case databaseConnections = "database connection count"

    /// The folder of `Sources/QoltanbaServer` whose code the round runs.
    var owner: String {
        switch self {
        case .sessionExpiry: "Background"
        case .revocationList: "PKI"
        case .webhookDelivery: "Webhooks"
        case .idempotencyPurge: "API"
        case .apiKeyUse, .rateLimitSharing: "Access"
        case .databaseConnections: "Operations"
        }
    }

    /// How long a round waits for the next.
    func period(_ configuration: QoltanbaConfiguration) -> Duration {
        switch self {
        case .sessionExpiry: .seconds(configuration.expirySweepInterval)
        case .revocationList: .seconds(PKIService.revocationListCheckInterval)
        case .webhookDelivery: .milliseconds(Int(configuration.webhooks.pollInterval * 1000))
        case .idempotencyPurge: .seconds(600)
        case .apiKeyUse: .seconds(APIKeyUse.flushInterval)
        case .rateLimitSharing: .seconds(1)
        case .databaseConnections: .seconds(5)
        }
    }

    /// Whether the job has work on this database: one SQLite serves one instance, whose rate-limit
    /// counts are exact, and shows no connection states.
    func runs(on database: QoltanbaConfiguration.Database) -> Bool {
        switch (self, database) {
        case (.rateLimitSharing, .sqlite(_)), (.databaseConnections, .sqlite(_)): false
        default: true
        }
    }

    /// One round of the job's work.
    func round(_ app: Application) async throws {
        switch self {
        case .sessionExpiry:
            try await SessionExpirySweeper.sweepOnce(app.stores.sessions, logger: app.logger)
        case .revocationList:
            try await app.pki.refreshRevocationList(in: app.stores.certificates)
        case .webhookDelivery:
            try await WebhookDispatcher.round(app)
        case .idempotencyPurge:
            try await app.stores.idempotency.forget(before: Date().addingTimeInterval(-Idempotency.lifetime))
        case .apiKeyUse:
            try await app.apiKeyUse.flush(to: app.stores.organizations)
        case .rateLimitSharing:
            try await app.rateLimiter.share(in: app.stores.rateLimits)
        case .databaseConnections:
            try await MetricsController.countDatabaseConnections(app)
        }
    }

    /// The job repeating its round every ``period(_:)`` (or `interval`, for a test).
    func repeating(_ app: Application, every interval: Duration? = nil) -> RepeatingJob {
        RepeatingJob(rawValue, every: interval ?? period(app.qoltanba)) { app in try await round(app) }
    }

    /// Starts every job that runs on the application's database.
    static func startAll(_ app: Application) {
        QoltanbaMetrics.databaseConnectionLimit(app.databaseConnections.limit) // also on SQLite, which runs no count
        for job in allCases where job.runs(on: app.qoltanba.database) {
            app.background.start(job.repeating(app), on: app)
        }
    }
}
