import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
import QoltanbaTestSupport
import SQLKit
import Testing

/// The names `_fluent_migrations` records are the databases' memory of what ran: a migration that
/// changed its name (by moving to another module) would run again on every existing database.
@Suite("Migration names")
struct MigrationNameTests {
    static let shipped = [
        "CreateOrganizations", "CreateAPIKeys", "CreateCitizens", "CreateSigningSessions", "CreateDocuments", "CreateDocumentFiles",
        "CreateAuthorityCertificates", "CreateSignerCertificates", "CreateRevocationLists", "CreateSigningFlows",
        "CreateSandboxMessages", "AddPriorSignatures", "CreateWebhooks", "CreateCabinet", "CreateDocumentCopies",
        "AddRedirectOrigins", "CreateRateLimitCounts", "CreateIdempotencyKeys", "SplitDocumentFiles", "IndexSignedDocuments",
        "WrapSignerKeys", "SequenceWebhookEvents", "OneCurrentCertificate",
    ].map { "QoltanbaServer." + $0 }

    @Test("every migration keeps the name it was first recorded under, in order")
    func names() {
        #expect(QoltanbaMigrations.names == Self.shipped)
    }

    @Test("a database records exactly those names")
    func recorded() async throws {
        try await TestServer.with { server in
            let sql = try #require(server.app.db as? any SQLDatabase)
            let rows = try await sql.raw("SELECT name FROM _fluent_migrations").all()
            #expect(Set(try rows.map { try $0.decode(column: "name", as: String.self) }) == Set(Self.shipped))
        }
    }
}
