import Fluent
import SQLKit

/// An upload looks for the newest signature of an identical file (``SessionStore/latestSignature(sha256:organizationID:)``):
/// the index of every document's SHA-256 made that a walk over every unsigned copy of a file
/// uploaded again and again (a contract template), on each upload. Only signed documents are
/// indexed now.
struct IndexSignedDocuments: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.drop(index: "documents_sha256").run()
        try await database.sql.raw("CREATE INDEX documents_signed_sha256 ON documents (sha256) WHERE sign IS NOT NULL").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "documents_signed_sha256").run()
        try await database.sql.create(index: "documents_sha256").on("documents").column("sha256").run()
    }
}
