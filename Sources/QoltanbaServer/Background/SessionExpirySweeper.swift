import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// Records the expiry of active sessions whose time to live has run out, so that a session
/// nobody writes to still ends as `EXPIRED` with its log entry and webhook.
///
/// Reads already show such a session as canceled; this job (or the next write to the session,
/// whichever comes first) records it. Each expiry is a guarded transition (see
/// `SessionStore.record`), so several instances sweeping one database never record one twice, and
/// a round with nothing due writes nothing.
enum SessionExpirySweeper {
    /// Records every due expiry, in batches.
    /// - Returns: how many expiries this call recorded.
    @discardableResult
    static func sweepOnce(_ repository: SessionStore, logger: Logger, now: Date = Date()) async throws -> Int {
        var expired = 0
        while true {
            let ids = try await repository.expiredActiveSessionIDs(now: now, limit: 200)
            let before = expired
            for id in ids {
                do {
                    guard try await repository.expireIfDue(id, now: now) else { continue }
                } catch {
                    // A row that cannot be read (damaged) holds up none of the others.
                    logger.error("session expiry not recorded", metadata: ["session.id": "\(id)", "error": "\(String(reflecting: type(of: error)))"])
                    continue
                }
                expired += 1
                logger.info("session expired", metadata: ["session.id": "\(id)"])
            }
            // A full batch of which none could be recorded (damaged rows) would come back the same.
            if ids.count < 200 || expired == before { return expired }
        }
    }
}
