import Fluent
import SQLKit

struct CreateSignerCertificates: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("signer_certificates")
            .id()
            .field("iin", .string, .required)
            .field("serial", .string, .required)
            .field("certificate", .data, .required)
            .field("algorithm", .string, .required)
            .field("sealed_key", .string, .required)
            .field("not_before", .datetime, .required)
            .field("not_after", .datetime, .required)
            .field("created_at", .datetime)
            .field("revoked_at", .datetime)
            .field("revocation_reason", .int)
            .unique(on: "serial")
            .create()
        try await (database as! any SQLDatabase)
            .create(index: "signer_certificates_iin")
            .on("signer_certificates")
            .column("iin")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("signer_certificates").delete()
    }
}
