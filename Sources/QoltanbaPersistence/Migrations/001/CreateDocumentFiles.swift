import Fluent

struct CreateDocumentFiles: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("document_files")
            .field("document_id", .uuid, .identifier(auto: false),
                   .references("documents", "id", onDelete: .cascade))
            .field("content", .data, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("document_files").delete()
    }
}
