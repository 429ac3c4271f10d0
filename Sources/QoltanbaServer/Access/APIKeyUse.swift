import Foundation
import NIOConcurrencyHelpers
import QoltanbaPersistence
import Vapor

/// When each API key was last used, noted by requests in memory and written by the API key use
/// job (`BackgroundJob.apiKeyUse`), so that a request (a status read among them) never writes for it.
/// A key's use is noted at most once per ``APIKeyMiddleware/lastUsedResolution``; what a process
/// noted in its last ``flushInterval`` before it stopped is lost, which that resolution allows.
final class APIKeyUse: Sendable {
    /// Seconds between two writes of the noted uses.
    static let flushInterval: Int64 = 10

    private let noted = NIOLockedValueBox<[UUID: Date]>([:])

    /// Notes that `key` was used at `date`.
    func note(_ key: UUID, at date: Date) {
        noted.withLockedValue { noted in noted[key] = max(noted[key] ?? date, date) }
    }

    /// Writes every use noted since the last call (none: no write). Uses that could not be written
    /// are noted again for the next call.
    func flush(to store: OrganizationStore) async throws {
        let uses = noted.withLockedValue { noted in
            defer { noted = [:] }
            return noted
        }
        guard !uses.isEmpty else { return }
        do {
            try await store.markUsed(uses)
        } catch {
            for (key, date) in uses { note(key, at: date) }
            throw error
        }
    }
}

extension Application {
    /// The API keys' noted uses (made by `configure`).
    var apiKeyUse: APIKeyUse {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
