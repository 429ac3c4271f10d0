import Fluent

struct CreateAuthorityCertificates: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("authority_certificates")
            .id()
            .field("role", .string, .required)
            .field("certificate", .data, .required)
            .field("sealed_key", .data, .required)
            .field("created_at", .datetime)
            .unique(on: "role")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("authority_certificates").delete()
    }
}
