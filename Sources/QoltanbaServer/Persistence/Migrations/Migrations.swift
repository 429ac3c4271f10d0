import Fluent

/// Every migration in order. Shipped migrations are never edited: a change is a new one.
enum QoltanbaMigrations {
    static var all: [any Migration] {
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
        ]
    }
}

extension Migrations {
    /// Registers every migration in order.
    func addQoltanbaMigrations() {
        for migration in QoltanbaMigrations.all { add(migration) }
    }
}
