import Crypto
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// The integrator API's operations on sessions and their documents, for one organization.
struct SessionService {
    let stores: Stores
    let configuration: QoltanbaConfiguration
    let registry: any CitizenRegistry
    let pki: PKIService
    let renderBudget: RenderBudget
    let organizationID: UUID
    let logger: Logger

    /// The largest `metadata` accepted, as JSON bytes.
    static let maximumMetadataBytes = 16 * 1024

    private var sessions: SessionStore { stores.sessions }

    /// Validates the request, checks the IIN and phone against the registry, and creates a session.
    func create(_ request: CreateSessionRequest) async throws -> CreatedSessionResponse {
        guard let iinText = request.iin else { throw QoltanbaError.missingField("iin") }
        guard let phoneText = request.phone else { throw QoltanbaError.missingField("phone") }
        let iin = try IIN(iinText)
        let phone = try PhoneNumber(phoneText)
        let type = try request.document_type.map(DocumentType.init(parsing:)) ?? .pdf
        let metadata = try Self.validatedMetadata(request.metadata)

        guard try await registry.citizen(iin: iin, phone: phone) != nil else {
            logger.info("session refused: subject not found", metadata: ["iin": "\(iin.masked)"])
            throw QoltanbaError.subjectNotFound
        }

        let now = Date()
        let session = SigningSession.new(
            organizationID: organizationID, iin: iin, phone: phone, documentType: type, metadata: metadata, now: now,
            timeToLive: Double(configuration.sessionTimeToLive))
        let id = session.id
        try await sessions.create(session)
        QoltanbaMetrics.sessionCreated()
        logger.info("session created", metadata: [
            "session.id": "\(id)", "iin": "\(iin.masked)", "document_type": "\(type.rawValue)",
        ])
        return CreatedSessionResponse(
            session_id: id.apiString, created_at: APITimestamp.format(now), check_id: session.checkID.apiString)
    }

    /// The `metadata` field as kept: a JSON object of at most ``maximumMetadataBytes``, or nothing.
    private static func validatedMetadata(_ metadata: JSONValue?) throws -> JSONValue? {
        switch metadata {
        case nil, .null?:
            return nil
        case .object?:
            guard try JSONEncoder().encode(metadata).count <= maximumMetadataBytes else {
                throw QoltanbaError.invalidField("metadata", "must be at most \(maximumMetadataBytes) bytes as JSON")
            }
            return metadata
        default:
            throw QoltanbaError.invalidField("metadata", "must be a JSON object")
        }
    }

    /// Stores a document in a `STARTED` session after checking the name and the file.
    ///
    /// - Parameters:
    ///   - sessionText: the `session_id` field as sent.
    ///   - name: the display name as sent.
    ///   - content: the file's bytes, as the request brought them.
    ///   - fileField: which field carried the file, for error texts.
    func upload(sessionText: String, name: String, content: ByteBuffer, fileField: String) async throws -> DocumentResponse {
        let session = try await ownedSession(sessionText, settling: true)
        guard session.lifecycle.acceptsDocuments else {
            throw QoltanbaError(
                .sessionStateConflict,
                "Documents can only be uploaded while the session is STARTED; this session is \(session.status.rawValue)")
        }
        let id = session.id
        try limits.check(try await sessions.usage(of: id), for: content.readableBytes)
        let signed = try await signedContent(content, fileField: fileField)
        // The file is checked where it lies: a 20 MB upload is never copied to be looked at.
        let (type, limit, stored) = (session.documentType, configuration.maximumUploadBytes, signed.map { ByteBuffer(bytes: $0.content) } ?? content)
        let checkedName = try await renderBudget.run {
            try stored.withUnsafeReadableBytes { bytes in
                try DocumentUpload.validatedName(name, content: bytes, fileField: fileField, type: type, maximumBytes: limit)
            }
        }

        let now = Date()
        let digest = SHA256.hash(data: stored.readableBytesView).hexString
        let documentID = UUID()
        var priorSign = signed.map { Data($0.cms).base64EncodedString() }
        if priorSign == nil { priorSign = try await sessions.latestSignature(sha256: digest, organizationID: organizationID) }
        let document = StoredDocument(
            id: documentID, sessionID: id, name: checkedName, type: session.documentType, size: stored.readableBytes,
            sha256: digest, sign: nil, priorSign: priorSign, signers: [], createdAt: now, updatedAt: now)
        let (size, limits) = (stored.readableBytes + (signed?.cms.count ?? 0), limits)
        try await stores.transaction { stores in
            // The session row is locked, so parallel uploads are counted one by one; the signer
            // may have opened the client while the file was being checked.
            guard let current = try await stores.sessions.lockForUpload(id), current.read(at: Date()).lifecycle.acceptsDocuments else {
                throw QoltanbaError(.sessionStateConflict, "Documents can only be uploaded while the session is STARTED")
            }
            try limits.check(try await stores.sessions.usage(of: id), for: size)
            try await stores.sessions.add(document, content: stored)
        }
        logger.info("document uploaded", metadata: [
            "session.id": "\(id)", "document.id": "\(documentID)", "size": "\(stored.readableBytes)",
        ])
        return DocumentResponse(
            id: documentID.apiString, name: document.name, sign: nil,
            created_at: APITimestamp.format(now), updated_at: APITimestamp.format(now))
    }

    /// How much a session may hold (`QOLTANBA_MAX_SESSION_DOCUMENTS`, `QOLTANBA_MAX_SESSION_BYTES`).
    struct Limits: Sendable {
        let documents: Int
        let bytes: Int

        /// Refuses a document of `size` bytes that would take a session holding `usage` past the limits.
        func check(_ usage: (documents: Int, bytes: Int), for size: Int) throws {
            guard usage.documents < documents else {
                throw QoltanbaError(
                    .sessionFull,
                    "the session already holds \(usage.documents) documents, the limit (QOLTANBA_MAX_SESSION_DOCUMENTS)")
            }
            guard usage.bytes <= bytes - size else {
                throw QoltanbaError(
                    .sessionFull,
                    "the session's documents would take \(usage.bytes + size) bytes, more than the limit of \(bytes) bytes (QOLTANBA_MAX_SESSION_BYTES)")
            }
        }
    }

    /// The limits are checked before any work on the file, then again in the upload's transaction.
    private var limits: Limits {
        Limits(documents: configuration.maximumSessionDocuments, bytes: configuration.maximumSessionBytes)
    }

    /// The content and the CMS of an upload that is a CMS SignedData (DER, or PEM): an earlier
    /// signer's signature, to be co-signed. Nil for any other file.
    /// Only a CMS whose every signer verifies TOTAL_PASSED to a trust anchor is taken: anything
    /// else would let a made-up certificate be listed as an earlier signer.
    /// - Throws: for a CMS without its content, or one that does not verify.
    private func signedContent(_ bytes: ByteBuffer, fileField: String) async throws -> (content: [UInt8], cms: [UInt8])? {
        // Only a file that starts as DER or PEM does is copied to be read as a CMS.
        guard bytes.readableBytesView.first == 0x30 || bytes.readableBytesView.starts(with: "-----BEGIN ".utf8),
              let (der, cms) = UploadedFile.signedData(Array(bytes.readableBytesView))
        else { return nil }
        guard let content = cms.content else {
            throw QoltanbaError.invalidField(fileField, "the CMS is detached: upload a CMS with its content attached")
        }
        let report = try await pki.verifier(in: stores.certificates).verify(der)
        guard report.indication == .totalPassed else {
            throw QoltanbaError.invalidField(fileField, "the earlier signature is not accepted: \(report.refusal)")
        }
        return (content, der)
    }

    /// The session's status and, when canceled, why.
    func status(sessionText: String?) async throws -> SessionStatusResponse {
        let session = try await ownedSession(try Self.required(sessionText))
        let lifecycle = session.lifecycle
        return SessionStatusResponse(
            session_id: session.id.apiString, status: lifecycle.state.status, failure_reason: lifecycle.state.failureReason,
            created_at: APITimestamp.format(session.createdAt), updated_at: APITimestamp.format(session.updatedAt))
    }

    /// The session's documents with their signatures (null until signed).
    func result(sessionText: String?) async throws -> SessionResultResponse {
        let session = try await ownedSession(try Self.required(sessionText))
        let id = session.id
        let documents = try await sessions.documents(of: id)
        return SessionResultResponse(
            session_id: id.apiString,
            docs: documents.map { .init(id: $0.id.apiString, name: $0.name, sign: $0.sign) })
    }

    private static func required(_ sessionText: String?) throws -> String {
        guard let text = sessionText, !text.isEmpty else { throw QoltanbaError.missingField("session_id") }
        return text
    }

    /// The session named by a `session_id` field, as it reads now (`settling` for a write: its due
    /// expiry recorded first); an id that is not a UUID names no session.
    private func ownedSession(_ text: String, settling: Bool = false) async throws -> SigningSession {
        guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw QoltanbaError.sessionNotFound
        }
        return try await sessions.find(id, ownedBy: organizationID, settling: settling)
    }
}

extension Request {
    /// The integrator API's operations for the organization whose key authenticated this request.
    var sessionService: SessionService {
        SessionService(
            stores: stores, configuration: application.qoltanba, registry: application.providers.registry,
            pki: application.pki, renderBudget: application.renderBudget, organizationID: organizationID, logger: logger)
    }
}
