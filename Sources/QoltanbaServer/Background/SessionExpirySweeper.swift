import Foundation
import QoltanbaCore
import Vapor

/// Cancels active sessions whose time to live has run out, every few seconds, so that a session
/// nobody reads still ends as `EXPIRED`.
///
/// Each expiry is a guarded transition (see `SessionStore.record`), so several instances
/// sweeping one database never move a session twice.
enum SessionExpirySweeper {
    /// The job that sweeps every `interval`.
    static func job(every interval: Duration) -> RepeatingJob {
        RepeatingJob("session expiry sweep", every: interval) { app in
            try await sweepOnce(app.stores.sessions, logger: app.logger)
        }
    }

    /// Expires every due session, in batches.
    /// - Returns: how many sessions this call expired.
    @discardableResult
    static func sweepOnce(_ repository: SessionStore, logger: Logger, now: Date = Date()) async throws -> Int {
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
}
