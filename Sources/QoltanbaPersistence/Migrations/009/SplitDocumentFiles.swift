import Fluent
import Foundation
import SQLKit

/// Document files are kept in parts of at most a mebibyte (``SessionStore/filePartBytes``), so
/// that storing a large upload never hands the database driver the whole file at once: the
/// drivers copy what they are given (SQLite twice), and a file in one row cost three times its
/// size in memory. Files stored before move over as one part each.
struct SplitDocumentFiles: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("document_file_parts")
            .field("document_id", .uuid, .required, .references("documents", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("content", .data, .required)
            .unique(on: "document_id", "position")
            .create()
        try await database.sql.raw("""
            INSERT INTO document_file_parts (document_id, position, content) SELECT document_id, 0, content FROM document_files
            """).run()
        try await database.schema("document_files").delete()
    }

    func revert(on database: any Database) async throws {
        try await CreateDocumentFiles().prepare(on: database)
        let documents = try await database.sql.raw("SELECT DISTINCT document_id FROM document_file_parts").all()
        for row in documents {
            let id = try row.decode(column: "document_id", as: UUID.self)
            let parts = try await database.sql.raw(
                "SELECT content FROM document_file_parts WHERE document_id = \(bind: id) ORDER BY position").all()
            let content = try parts.reduce(into: Data()) { $0 += try $1.decode(column: "content", as: Data.self) }
            try await database.sql.raw("INSERT INTO document_files (document_id, content) VALUES (\(bind: id), \(bind: content))").run()
        }
        try await database.schema("document_file_parts").delete()
    }
}
