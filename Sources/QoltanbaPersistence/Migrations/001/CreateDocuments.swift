import Fluent
import SQLKit

struct CreateDocuments: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("documents")
            .id()
            .field("session_id", .uuid, .required, .references("signing_sessions", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("media_type", .string, .required)
            .field("size", .int64, .required)
            .field("sha256", .string, .required)
            .field("sign", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase)
            .create(index: "documents_session_id")
            .on("documents")
            .column("session_id")
            .run()
        try await (database as! any SQLDatabase)
            .create(index: "documents_sha256")
            .on("documents")
            .column("sha256")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("documents").delete()
    }
}
