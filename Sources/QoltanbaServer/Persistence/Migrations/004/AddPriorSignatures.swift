import Fluent

/// A document can arrive already signed (an uploaded CMS, or a file signed before in the same
/// organization): its earlier CMS is kept and the new signer co-signs it.
struct AddPriorSignatures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("documents").field("prior_sign", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("documents").deleteField("prior_sign").update()
    }
}
