import Fluent

/// The origins an organization allows `redirect_url` to point at (one per line); none: any.
struct AddRedirectOrigins: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("organizations").field("redirect_origins", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organizations").deleteField("redirect_origins").update()
    }
}
