import Foundation
import QoltanbaCore
import Vapor

/// The body of `POST /api/v1/session/create/`. Every field is optional here so that a missing
/// one is reported by name rather than as a decoding failure.
struct CreateSessionRequest: Decodable {
    var iin: String?
    var phone: String?
    var document_type: String?
    var metadata: JSONValue?
}

/// The answer to a session's creation.
struct CreatedSessionResponse: Content {
    var session_id: String
    var created_at: String
    var check_id: String
}

/// The body of `POST /api/v1/session/documents/upload/base64/`.
struct Base64UploadRequest: Decodable {
    var session_id: String?
    var name: String?
    var base64_file: String?
}

/// A document as both uploads answer it; `sign` is null until the document is signed.
struct DocumentResponse: Content {
    var id: String
    var name: String
    @NullWhenAbsent var sign: String?
    var created_at: String
    var updated_at: String
}

/// `GET /api/v1/session/result/`.
struct SessionResultResponse: Content {
    struct Document: Content {
        var id: String
        var name: String
        @NullWhenAbsent var sign: String?
    }

    var session_id: String
    var docs: [Document]
}

/// `GET /api/v1/session/status/`.
struct SessionStatusResponse: Content {
    var session_id: String
    var status: SessionStatus
    @NullWhenAbsent var failure_reason: FailureReason?
    var created_at: String
    var updated_at: String
}
