import Fluent
import Foundation
import NIOCore
import QoltanbaCore
import QoltanbaPKI
import SQLKit

/// A session's documents, their files and their stamped copies.
extension SessionStore {
    /// The one order of a session's documents, everywhere: as uploaded (oldest first), then by id.
    private func ordered(_ session: UUID) -> QueryBuilder<DocumentModel> {
        DocumentModel.query(on: database).filter(\.$session.$id == session).sort(\.$createdAt).sort(\.$id)
    }

    /// A row as the value it stores: the signers' JSON parsed (none when it is unreadable).
    private static func document(_ model: DocumentModel) throws -> StoredDocument {
        StoredDocument(
            id: try model.requireID(), sessionID: model.sessionID, name: model.name,
            type: model.mediaType == DocumentType.xml.mediaType ? .xml : .pdf, size: model.size, sha256: model.sha256,
            sign: model.sign, priorSign: model.priorSign,
            signers: model.signers.flatMap { try? JSONDecoder().decode([SignatureReport.Signer].self, from: Data($0.utf8)) } ?? [],
            createdAt: model.createdAt, updatedAt: model.updatedAt)
    }

    /// The session's documents with their signatures.
    public func documents(of session: UUID) async throws -> [StoredDocument] {
        try await ordered(session).all().map(Self.document)
    }

    /// The session's documents without their signatures (the CMS can be large): what the copies
    /// and the check page read.
    public func documentSummaries(of session: UUID) async throws -> [StoredDocument] {
        try await ordered(session)
            .field(\.$id).field(\.$session.$id).field(\.$name).field(\.$mediaType).field(\.$size).field(\.$sha256).field(\.$signers)
            .field(\.$createdAt).field(\.$updatedAt)
            .all().map(Self.document)
    }

    /// How many documents the session holds.
    public func documentCount(of session: UUID) async throws -> Int {
        try await DocumentModel.query(on: database).filter(\.$session.$id == session).count()
    }

    /// The document with this id in this session.
    public func document(_ id: UUID, in session: UUID) async throws -> StoredDocument? {
        guard let document = try await DocumentModel.find(id, on: database), document.sessionID == session else { return nil }
        return try Self.document(document)
    }

    /// A document's file as uploaded.
    public func content(of document: UUID) async throws -> [UInt8]? {
        let parts = try await database.sql.raw(
            "SELECT content FROM document_file_parts WHERE document_id = \(bind: document) ORDER BY position").all()
        guard !parts.isEmpty else { return nil }
        return try parts.reduce(into: [UInt8]()) { $0 += try $1.decode(column: "content", as: Data.self) }
    }

    /// The session's documents and their bytes, counting an earlier CMS kept with a document
    /// (stored as base64: 4 characters for 3 bytes).
    public func usage(of session: UUID) async throws -> (documents: Int, bytes: Int) {
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
    public func lockForUpload(_ id: UUID) async throws -> SigningSession? {
        try await database.sql.raw("UPDATE signing_sessions SET updated_at = updated_at WHERE id = \(bind: id)").run()
        return try await stored(id)
    }

    /// The most bytes of a file in one row: no statement hands a driver (which copies what it is
    /// given) more than this.
    public static let filePartBytes = 1 << 20

    /// Stores a new document and its file (plain SQL: an upload's hot path). The file goes in
    /// parts of ``filePartBytes``, each a view of the request's buffer.
    public func add(_ document: StoredDocument, content: ByteBuffer) async throws {
        let id = document.id
        try await database.sql.raw("""
            INSERT INTO documents (id, session_id, name, media_type, size, sha256, sign, prior_sign, signers, created_at, updated_at)
            VALUES (\(bind: id), \(bind: document.sessionID), \(bind: document.name), \(bind: document.type.mediaType), \(bind: document.size),
                \(bind: document.sha256), \(bind: document.sign), \(bind: document.priorSign), \(bind: try Self.signersText(document.signers)),
                \(bind: document.createdAt), \(bind: document.updatedAt))
            """).run()
        var rest = content
        var position = 0
        repeat {
            let part = rest.readSlice(length: min(rest.readableBytes, Self.filePartBytes)) ?? ByteBuffer()
            try await database.sql.raw("""
                INSERT INTO document_file_parts (document_id, position, content) VALUES (\(bind: id), \(bind: position), \(bind: part))
                """).run()
            position += 1
        } while rest.readableBytes > 0
    }

    /// Writes a document's changed fields (its signature).
    public func record(_ signature: DocumentSignature, at date: Date) async throws {
        try await database.sql.update(DocumentModel.schema)
            .set("sign", to: Data(signature.cms).base64EncodedString())
            .set("signers", to: try Self.signersText(signature.signers))
            .set("updated_at", to: date)
            .where("id", .equal, signature.document)
            .run()
    }

    /// The newest signature of a file with this SHA-256 in the organization's sessions.
    public func latestSignature(sha256: String, organizationID: UUID) async throws -> String? {
        try await database.sql.raw("""
            SELECT d.sign FROM documents d JOIN signing_sessions s ON s.id = d.session_id
            WHERE s.organization_id = \(bind: organizationID) AND d.sha256 = \(bind: sha256) AND d.sign IS NOT NULL
            ORDER BY d.updated_at DESC LIMIT 1
            """).all().first?.decode(column: "sign", as: String?.self)
    }

    // MARK: Stamped copies

    /// A document's stored copy (a PDF's stamped copy, an XML's sheet).
    public func copy(of document: UUID) async throws -> [UInt8]? {
        try await DocumentCopyModel.find(document, on: database).map { Array($0.content) }
    }

    /// Stores a document's copy with its SHA-256 and returns the copy stored: `content`, or the one
    /// another request stored first.
    public func storeCopy(of document: UUID, content: [UInt8], sha256: String, at date: Date) async throws -> [UInt8] {
        do {
            try await DocumentCopyModel(documentID: document, content: Data(content), sha256: sha256, at: date).create(on: database)
            return content
        } catch {
            guard let stored = try await copy(of: document) else { throw error }
            return stored
        }
    }

    /// The recorded SHA-256 of each stored copy of these documents, by document id.
    public func copyDigests(of documents: [UUID]) async throws -> [UUID: String] {
        guard !documents.isEmpty else { return [:] }
        let copies = try await DocumentCopyModel.query(on: database).filter(\.$id ~~ documents).field(\.$id).field(\.$sha256).all()
        return Dictionary(copies.compactMap { copy in copy.id.map { ($0, copy.sha256) } }, uniquingKeysWith: { first, _ in first })
    }
}

extension DocumentModel {
    /// The session the document belongs to.
    var sessionID: UUID { $session.id }
}

extension SessionStore {
    /// The `signers` column: the signers as JSON, nil for none.
    static func signersText(_ signers: [SignatureReport.Signer]) throws -> String? {
        signers.isEmpty ? nil : String(decoding: try JSONEncoder().encode(signers), as: UTF8.self)
    }
}

/// A document of a session as stored.
public struct StoredDocument: Sendable {
    public let id: UUID
    public let sessionID: UUID
    /// The display name, as checked at upload.
    public let name: String
    public let type: DocumentType
    public let size: Int
    /// The SHA-256 of the file, in lower-case hex.
    public let sha256: String
    /// The signature (base64 of the CMS) once signed; nil in summaries.
    public let sign: String?
    /// An earlier CMS of the same file (base64) that signing co-signs; nil in summaries.
    public let priorSign: String?
    /// The signers of `sign`, as verified when it was made.
    public let signers: [SignatureReport.Signer]
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, sessionID: UUID, name: String, type: DocumentType, size: Int, sha256: String, sign: String?, priorSign: String?, signers: [SignatureReport.Signer], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.sessionID = sessionID
        self.name = name
        self.type = type
        self.size = size
        self.sha256 = sha256
        self.sign = sign
        self.priorSign = priorSign
        self.signers = signers
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A document's signature: the CMS and the signers whose signatures verified when it was made.
public struct DocumentSignature: Sendable {
    public let document: UUID
    public let cms: [UInt8]
    public let signers: [SignatureReport.Signer]

    public init(document: UUID, cms: [UInt8], signers: [SignatureReport.Signer]) {
        self.document = document
        self.cms = cms
        self.signers = signers
    }
}
