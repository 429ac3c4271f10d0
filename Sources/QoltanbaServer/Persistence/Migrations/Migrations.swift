import Fluent

extension Migrations {
    /// Registers every migration in order. Shipped migrations are never edited: a change is a new one.
    func addQoltanbaMigrations() {
        add(CreateOrganizations())
        add(CreateAPIKeys())
        add(CreateCitizens())
        add(CreateSigningSessions())
        add(CreateDocuments())
        add(CreateDocumentFiles())
        add(CreateAuthorityCertificates())
        add(CreateSignerCertificates())
        add(CreateRevocationLists())
        add(CreateSigningFlows())
        add(CreateSandboxMessages())
        add(AddPriorSignatures())
        add(CreateWebhooks())
        add(CreateCabinet())
        add(CreateDocumentCopies())
        add(AddRedirectOrigins())
        add(CreateRateLimitCounts())
        add(CreateIdempotencyKeys())
        add(SplitDocumentFiles())
        add(IndexSignedDocuments())
    }
}
