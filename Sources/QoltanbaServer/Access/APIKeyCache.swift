import NIOConcurrencyHelpers
import NIOCore
import QoltanbaPersistence
import Vapor

/// Active API keys as this instance read them last, kept for ``lifetime``: a request with a key
/// read recently reads no row. A key revoked anywhere (the cabinet of another instance, the CLI)
/// stops on every instance within ``lifetime``; one revoked in this instance's cabinet stops at
/// once. Unknown keys are never kept, and at most ``capacity`` keys are.
final class APIKeyCache: Sendable {
    /// How long a key read is trusted (the bound for a revocation to reach every instance is 5 s).
    static let lifetime = TimeAmount.seconds(2)
    static let capacity = 10_000

    private let entries = NIOLockedValueBox<[String: (key: OrganizationStore.ActiveKey, readAt: NIODeadline)]>([:])

    /// The active key with this hash: as kept, or as `read` finds it now.
    func key(
        secretHash: String, read: () async throws -> OrganizationStore.ActiveKey?
    ) async throws -> OrganizationStore.ActiveKey? {
        let now = NIODeadline.now()
        if let kept = entries.withLockedValue({ $0[secretHash] }), now - kept.readAt < Self.lifetime { return kept.key }
        let key = try await read()
        entries.withLockedValue { entries in
            guard let key else {
                entries[secretHash] = nil
                return
            }
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[secretHash] = (key, now)
        }
        return key
    }

    /// Records a use written to the database, so the kept key does not ask for another.
    func used(secretHash: String, at date: Date) {
        entries.withLockedValue { entries in
            guard let kept = entries[secretHash] else { return }
            let key = kept.key
            entries[secretHash] = (.init(id: key.id, organizationID: key.organizationID, prefix: key.prefix, lastUsedAt: date), kept.readAt)
        }
    }

    /// Forgets every key: after a revocation in this instance.
    func forgetAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}

extension Application {
    /// The API keys read recently (made by `configure`).
    var apiKeyCache: APIKeyCache {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
