import Fluent
import Foundation
import NIOConcurrencyHelpers
import QoltanbaCore
import Vapor

/// Cancels active sessions whose time to live has run out, every few seconds, so that a session
/// nobody reads still ends as `EXPIRED`.
///
/// Each expiry is a guarded transition (see `SessionRepository.record`), so several instances
/// sweeping one database never move a session twice.
final class SessionExpirySweeper: LifecycleHandler, Sendable {
    private let interval: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(interval: Duration) {
        self.interval = interval
    }

    /// Starts the loop; a second call does nothing.
    func start(_ app: Application) {
        task.withLockedValue { task in
            guard task == nil else { return }
            let interval = self.interval
            task = Task {
                while !Task.isCancelled {
                    do {
                        try await Self.sweepOnce(database: app.db, logger: app.logger)
                    } catch {
                        app.logger.warning("session expiry sweep failed", metadata: ["error": "\(String(reflecting: error))"])
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    /// Expires every due session, in batches.
    /// - Returns: how many sessions this call expired.
    @discardableResult
    static func sweepOnce(database: any Database, logger: Logger, now: Date = Date()) async throws -> Int {
        let repository = SessionRepository(database: database)
        var expired = 0
        while true {
            let ids = try await repository.expiredActiveSessionIDs(now: now, limit: 200)
            for id in ids {
                if let session = try await repository.find(id, now: now), session.status == SessionStatus.canceled.rawValue {
                    expired += 1
                    logger.info("session expired", metadata: ["session.id": "\(id)"])
                }
            }
            if ids.count < 200 { return expired }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
