import Crypto
import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import SQLKit
import Vapor

/// The integrator API's operations on sessions and their documents, for one organization.
struct SessionService {
    let database: any Database
    let configuration: QoltanbaConfiguration
    let registry: any CitizenRegistry
    let pki: PKIService
    let renderBudget: RenderBudget
    let organizationID: UUID
    let logger: Logger

    /// The largest `metadata` accepted, as JSON bytes.
    static let maximumMetadataBytes = 16 * 1024

    private var sessions: SessionRepository { SessionRepository(database: database) }

    /// Validates the request, checks the IIN and phone against the registry, and creates a session.
    func create(_ request: CreateSessionRequest) async throws -> CreatedSessionResponse {
        guard let iinText = request.iin else { throw QoltanbaError.missingField("iin") }
        guard let phoneText = request.phone else { throw QoltanbaError.missingField("phone") }
        let iin = try IIN(iinText)
        let phone = try PhoneNumber(phoneText)
        let type = try request.document_type.map(DocumentType.init(parsing:)) ?? .pdf
        let metadata = try Self.encodeMetadata(request.metadata)

        guard try await registry.citizen(iin: iin, phone: phone) != nil else {
            logger.info("session refused: subject not found", metadata: ["iin": "\(iin.masked)"])
            throw QoltanbaError.subjectNotFound
        }

        let now = Date()
        let lifecycle = SessionLifecycle.new(createdAt: now, timeToLive: Double(configuration.sessionTimeToLive))
        let session = SigningSessionModel(
            id: UUID(), organizationID: organizationID, checkID: UUID(), iin: iin, phone: phone,
            documentType: type, metadata: metadata, createdAt: now, expiresAt: lifecycle.expiresAt)
        try await session.create(on: database)
        logger.info("session created", metadata: [
            "session.id": "\(session.id!)", "iin": "\(iin.masked)", "document_type": "\(type.rawValue)",
        ])
        return CreatedSessionResponse(
            session_id: session.id!.apiString, created_at: APITimestamp.format(now), check_id: session.checkID.apiString)
    }

    private static func encodeMetadata(_ metadata: JSONValue?) throws -> String? {
        switch metadata {
        case nil, .null?:
            return nil
        case .object?:
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let data = try encoder.encode(metadata)
            guard data.count <= maximumMetadataBytes else {
                throw QoltanbaError.invalidField("metadata", "must be at most \(maximumMetadataBytes) bytes as JSON")
            }
            return String(decoding: data, as: UTF8.self)
        default:
            throw QoltanbaError.invalidField("metadata", "must be a JSON object")
        }
    }

    /// Stores a document in a `STARTED` session after checking the name and the file.
    ///
    /// - Parameters:
    ///   - sessionText: the `session_id` field as sent.
    ///   - name: the display name as sent.
    ///   - content: the file's bytes.
    ///   - fileField: which field carried the file, for error texts.
    func upload(sessionText: String, name: String, content: [UInt8], fileField: String) async throws -> DocumentResponse {
        let session = try await ownedSession(sessionText)
        guard session.lifecycle.acceptsDocuments else {
            throw QoltanbaError(
                .sessionStateConflict,
                "Documents can only be uploaded while the session is STARTED; this session is \(session.status)")
        }
        try await checkRoom(in: session, for: content.count, on: database, lock: false)
        let signed = try await signedContent(content, fileField: fileField)
        let (type, limit, original) = (session.type, configuration.maximumUploadBytes, signed?.content ?? content)
        let upload = try await renderBudget.run {
            try DocumentUpload(name: name, content: original, fileField: fileField, type: type, maximumBytes: limit)
        }

        let now = Date()
        let digest = SHA256.hash(data: upload.content).hexString
        let document = DocumentModel(
            id: UUID(), sessionID: session.id!, name: upload.name, mediaType: session.type.mediaType,
            size: upload.content.count, sha256: digest, at: now)
        if let signed {
            document.priorSign = Data(signed.cms).base64EncodedString()
        } else {
            document.priorSign = try await latestSignature(sha256: digest)
        }
        let file = DocumentFileModel(documentID: document.id!, content: Data(upload.content))
        try await database.transaction { transaction in
            try await checkRoom(in: session, for: upload.content.count + (signed?.cms.count ?? 0), on: transaction, lock: true)
            try await document.create(on: transaction)
            try await file.create(on: transaction)
        }
        logger.info("document uploaded", metadata: [
            "session.id": "\(session.id!)", "document.id": "\(document.id!)", "size": "\(upload.content.count)",
        ])
        return DocumentResponse(
            id: document.id!.apiString, name: document.name, sign: nil,
            created_at: APITimestamp.format(now), updated_at: APITimestamp.format(now))
    }

    /// Refuses a document that would take the session past its limits on documents or bytes:
    /// first before any work on the file, then with `lock` in the upload's transaction, where the
    /// session row is locked (a no-op update) so that parallel uploads are counted one by one.
    private func checkRoom(in session: SigningSessionModel, for size: Int, on transaction: any Database, lock: Bool) async throws {
        let id = try session.requireID()
        if lock {
            try await SigningSessionModel.query(on: transaction).filter(\.$id == id).set(\.$updatedAt, to: session.updatedAt).update()
            // The signer may have opened the client while the file was being checked.
            guard let current = try await SigningSessionModel.find(id, on: transaction), current.lifecycle.acceptsDocuments else {
                throw QoltanbaError(.sessionStateConflict, "Documents can only be uploaded while the session is STARTED")
            }
        }
        // Each document's bytes and those of an earlier CMS kept with it (base64, 4 characters for 3
        // bytes), added up here: PostgreSQL would SUM a BIGINT as NUMERIC; there are at most a limit's worth.
        let rows = try await (transaction as! any SQLDatabase).select()
            .column("size").column(SQLFunction("LENGTH", args: SQLColumn("prior_sign")), as: "prior")
            .from(DocumentModel.schema).where("session_id", .equal, SQLBind(id)).all()
        let count = rows.count
        guard count < configuration.maximumSessionDocuments else {
            throw QoltanbaError(
                .sessionFull,
                "the session already holds \(count) documents, the limit (QOLTANBA_MAX_SESSION_DOCUMENTS)")
        }
        var bytes = 0
        for row in rows {
            let prior = try row.decode(column: "prior", as: Int?.self) ?? 0
            bytes += try row.decode(column: "size", as: Int.self) + prior / 4 * 3
        }
        guard bytes <= configuration.maximumSessionBytes - size else {
            throw QoltanbaError(
                .sessionFull,
                "the session's documents would take \(bytes + size) bytes, more than the limit of \(configuration.maximumSessionBytes) bytes (QOLTANBA_MAX_SESSION_BYTES)")
        }
    }

    /// The content and the CMS of an upload that is a CMS SignedData (DER, or PEM): an earlier
    /// signer's signature, to be co-signed. Nil for any other file.
    /// Only a CMS whose every signer verifies TOTAL_PASSED to a trust anchor is taken: anything
    /// else would let a made-up certificate be listed as an earlier signer.
    /// - Throws: for a CMS without its content, or one that does not verify.
    private func signedContent(_ bytes: [UInt8], fileField: String) async throws -> (content: [UInt8], cms: [UInt8])? {
        guard let (der, cms) = UploadedFile.signedData(bytes) else { return nil }
        guard let content = cms.content else {
            throw QoltanbaError.invalidField(fileField, "the CMS is detached: upload a CMS with its content attached")
        }
        let report = try await pki.verifier(on: database).verify(der)
        guard report.indication == .totalPassed else {
            throw QoltanbaError.invalidField(fileField, "the earlier signature is not accepted: \(report.refusal)")
        }
        return (content, der)
    }

    /// The newest signature of a file with this SHA-256 in the organization's earlier sessions, so
    /// that signing the same original again adds to its signers.
    private func latestSignature(sha256: String) async throws -> String? {
        try await DocumentModel.query(on: database)
            .join(SigningSessionModel.self, on: \DocumentModel.$session.$id == \SigningSessionModel.$id)
            .filter(SigningSessionModel.self, \.$organization.$id == organizationID)
            .filter(\.$sha256 == sha256)
            .filter(\.$sign != nil)
            .sort(\.$updatedAt, .descending)
            .first()?.sign
    }

    /// The session's status and, when canceled, why.
    func status(sessionText: String?) async throws -> SessionStatusResponse {
        let session = try await ownedSession(try Self.required(sessionText))
        let lifecycle = session.lifecycle
        return SessionStatusResponse(
            session_id: session.id!.apiString, status: lifecycle.state.status, failure_reason: lifecycle.state.failureReason,
            created_at: APITimestamp.format(session.createdAt), updated_at: APITimestamp.format(session.updatedAt))
    }

    /// The session's documents with their signatures (null until signed).
    func result(sessionText: String?) async throws -> SessionResultResponse {
        let session = try await ownedSession(try Self.required(sessionText))
        let documents = try await DocumentModel.query(on: database)
            .filter(\.$session.$id == session.id!)
            .sort(\.$createdAt)
            .all()
        return SessionResultResponse(
            session_id: session.id!.apiString,
            docs: documents.map { .init(id: $0.id!.apiString, name: $0.name, sign: $0.sign) })
    }

    private static func required(_ sessionText: String?) throws -> String {
        guard let text = sessionText, !text.isEmpty else { throw QoltanbaError.missingField("session_id") }
        return text
    }

    /// The session named by a `session_id` field: an id that is not a UUID names no session.
    private func ownedSession(_ text: String) async throws -> SigningSessionModel {
        guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw QoltanbaError.sessionNotFound
        }
        return try await sessions.find(id, ownedBy: organizationID)
    }
}
