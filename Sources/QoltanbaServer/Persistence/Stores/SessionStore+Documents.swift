import Fluent
import Foundation
import SQLKit

/// A session's documents, their files and their stamped copies.
extension SessionStore {
    /// The one order of a session's documents, everywhere: as uploaded (oldest first), then by id.
    private func ordered(_ session: UUID) -> QueryBuilder<DocumentModel> {
        DocumentModel.query(on: database).filter(\.$session.$id == session).sort(\.$createdAt).sort(\.$id)
    }

    /// The session's documents with their signatures.
    func documents(of session: UUID) async throws -> [DocumentModel] {
        try await ordered(session).all()
    }

    /// The session's documents without their signatures (the CMS can be large): what the copies
    /// and the check page read.
    func documentSummaries(of session: UUID) async throws -> [DocumentModel] {
        try await ordered(session)
            .field(\.$id).field(\.$name).field(\.$mediaType).field(\.$size).field(\.$sha256).field(\.$signers)
            .field(\.$createdAt).field(\.$updatedAt)
            .all()
    }

    /// How many documents the session holds.
    func documentCount(of session: UUID) async throws -> Int {
        try await DocumentModel.query(on: database).filter(\.$session.$id == session).count()
    }

    /// The document with this id in this session.
    func document(_ id: UUID, in session: UUID) async throws -> DocumentModel? {
        guard let document = try await DocumentModel.find(id, on: database), document.sessionID == session else { return nil }
        return document
    }

    /// A document's file as uploaded.
    func content(of document: UUID) async throws -> [UInt8]? {
        try await DocumentFileModel.find(document, on: database).map { Array($0.content) }
    }

    /// The session's documents and their bytes, counting an earlier CMS kept with a document
    /// (stored as base64: 4 characters for 3 bytes).
    func usage(of session: UUID) async throws -> (documents: Int, bytes: Int) {
        // Added up here: PostgreSQL would SUM a BIGINT as NUMERIC; there are at most a limit's worth.
        let rows = try await database.sql.select()
            .column("size").column(SQLFunction("LENGTH", args: SQLColumn("prior_sign")), as: "prior")
            .from(DocumentModel.schema).where("session_id", .equal, SQLBind(session)).all()
        var bytes = 0
        for row in rows {
            let prior = try row.decode(column: "prior", as: Int?.self) ?? 0
            bytes += try row.decode(column: "size", as: Int.self) + prior / 4 * 3
        }
        return (rows.count, bytes)
    }

    /// Locks the session's row for the rest of the transaction (a no-op update), so that parallel
    /// uploads are counted one by one, and reads it again.
    func lockForUpload(_ session: SigningSessionModel) async throws -> SigningSessionModel? {
        let id = try session.requireID()
        try await SigningSessionModel.query(on: database).filter(\.$id == id).set(\.$updatedAt, to: session.updatedAt).update()
        return try await SigningSessionModel.find(id, on: database)
    }

    /// Stores a new document and its file.
    func add(_ document: DocumentModel, content: [UInt8]) async throws {
        try await document.create(on: database)
        try await DocumentFileModel(documentID: try document.requireID(), content: Data(content)).create(on: database)
    }

    /// Writes a document's changed fields (its signature).
    func save(_ document: DocumentModel) async throws {
        try await document.save(on: database)
    }

    /// The newest signature of a file with this SHA-256 in the organization's sessions.
    func latestSignature(sha256: String, organizationID: UUID) async throws -> String? {
        try await DocumentModel.query(on: database)
            .join(SigningSessionModel.self, on: \DocumentModel.$session.$id == \SigningSessionModel.$id)
            .filter(SigningSessionModel.self, \.$organization.$id == organizationID)
            .filter(\.$sha256 == sha256)
            .filter(\.$sign != nil)
            .sort(\.$updatedAt, .descending)
            .first()?.sign
    }

    // MARK: Stamped copies

    /// A document's stored copy (a PDF's stamped copy, an XML's sheet).
    func copy(of document: UUID) async throws -> [UInt8]? {
        try await DocumentCopyModel.find(document, on: database).map { Array($0.content) }
    }

    /// Stores a document's copy with its SHA-256 and returns the copy stored: `content`, or the one
    /// another request stored first.
    func storeCopy(of document: UUID, content: [UInt8], sha256: String, at date: Date) async throws -> [UInt8] {
        do {
            try await DocumentCopyModel(documentID: document, content: Data(content), sha256: sha256, at: date).create(on: database)
            return content
        } catch {
            guard let stored = try await copy(of: document) else { throw error }
            return stored
        }
    }

    /// The recorded SHA-256 of each stored copy of these documents, by document id.
    func copyDigests(of documents: [UUID]) async throws -> [UUID: String] {
        guard !documents.isEmpty else { return [:] }
        let copies = try await DocumentCopyModel.query(on: database).filter(\.$id ~~ documents).field(\.$id).field(\.$sha256).all()
        return Dictionary(copies.compactMap { copy in copy.id.map { ($0, copy.sha256) } }, uniquingKeysWith: { first, _ in first })
    }
}

extension DocumentModel {
    /// The session the document belongs to.
    var sessionID: UUID { $session.id }
}
