import Fluent

/// A document can arrive already signed (an uploaded CMS, or a file signed before in the same
/// organization): its earlier CMS is kept and the new signer co-signs it. The signers of the
/// document's CMS are kept beside it, so that stamped copies and the check page need not read it.
struct AddPriorSignatures: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        try await database.schema("documents").field("prior_sign", .string).update()
        try await database.schema("documents").field("signers", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("documents").deleteField("signers").update()
        try await database.schema("documents").deleteField("prior_sign").update()
    }
}
