import Fluent

struct CreateRevocationLists: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("revocation_lists")
            .id()
            .field("number", .int64, .required)
            .field("der", .data, .required)
            .field("this_update", .datetime, .required)
            .field("next_update", .datetime, .required)
            .unique(on: "number")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("revocation_lists").delete()
    }
}
