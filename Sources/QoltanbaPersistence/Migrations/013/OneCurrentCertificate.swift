import Fluent
import Foundation
import SQLKit

/// Two first-time flows of one citizen at once could each get a certificate. Now an IIN has at
/// most one current certificate (unrevoked and not superseded), which a partial unique index
/// holds: a new certificate supersedes the current one, which must no longer be valid, in the same
/// transaction. Of the duplicates already stored, the newest stays current.
struct OneCurrentCertificate: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("signer_certificates").field("superseded_at", .datetime).update()
        try await database.sql.raw("""
            UPDATE signer_certificates SET superseded_at = \(bind: Date())
            WHERE revoked_at IS NULL AND EXISTS (SELECT 1 FROM signer_certificates AS newer
                WHERE newer.iin = signer_certificates.iin AND newer.revoked_at IS NULL
                AND (newer.created_at > signer_certificates.created_at
                    OR (newer.created_at = signer_certificates.created_at AND newer.id > signer_certificates.id)))
            """).run()
        try await database.sql.raw("""
            CREATE UNIQUE INDEX signer_certificates_current ON signer_certificates (iin)
            WHERE revoked_at IS NULL AND superseded_at IS NULL
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "signer_certificates_current").run()
        try await database.sql.raw("ALTER TABLE signer_certificates DROP COLUMN superseded_at").run()
    }
}
