import Fluent
import QoltanbaCore
import QoltanbaPKI

/// A migration of Qoltanba's: an `AsyncMigration` recorded in `_fluent_migrations` under the name
/// it had when the migrations lived in the `QoltanbaServer` module (`QoltanbaServer.CreateOrganizations`),
/// so that a database migrated before the persistence target existed runs none of them again.
protocol QoltanbaMigration: AsyncMigration {}

extension QoltanbaMigration {
    var name: String { "QoltanbaServer.\(String(describing: Self.self))" }
}

/// Every migration in order. Shipped migrations are never edited: a change is a new one.
enum QoltanbaMigrations {
    /// Every migration; `masterKey` is asked for by those that seal (only when they have work).
    static func all(masterKey: @escaping @Sendable () throws -> MasterKey) -> [any Migration] {
        [
            CreateOrganizations(),
            CreateAPIKeys(),
            CreateCitizens(),
            CreateSigningSessions(),
            CreateDocuments(),
            CreateDocumentFiles(),
            CreateAuthorityCertificates(),
            CreateSignerCertificates(),
            CreateRevocationLists(),
            CreateSigningFlows(),
            CreateSandboxMessages(),
            AddPriorSignatures(),
            CreateWebhooks(),
            CreateCabinet(),
            CreateDocumentCopies(),
            AddRedirectOrigins(),
            CreateRateLimitCounts(),
            CreateIdempotencyKeys(),
            SplitDocumentFiles(),
            IndexSignedDocuments(),
            WrapSignerKeys(masterKey: masterKey),
            SequenceWebhookEvents(),
            OneCurrentCertificate(),
        ]
    }

    /// Every migration's name, in order.
    static var names: [String] {
        all(masterKey: { throw QoltanbaError(.operatorError, "no master key here") }).map(\.name)
    }
}
