import Fluent

/// Stamped copies, made once and served as stored: the check page knows a copy by the SHA-256
/// recorded here, never by what a file says of itself.
struct CreateDocumentCopies: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("document_copies")
            .field("document_id", .uuid, .identifier(auto: false), .references("documents", "id", onDelete: .cascade))
            .field("content", .data, .required)
            .field("sha256", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("document_copies").delete()
    }
}
