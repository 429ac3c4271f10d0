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
    var session_id: UUID
    var created_at: String
    var check_id: UUID
}

/// The body of `POST /api/v1/session/documents/upload/base64/`.
struct Base64UploadRequest: Decodable {
    var session_id: String?
    var name: String?
    var base64_file: String?
}

/// A document as both uploads answer it; `sign` is null until the document is signed.
struct DocumentResponse: Content {
    var id: UUID
    var name: String
    var sign: String?
    var created_at: String
    var updated_at: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(sign, forKey: .sign)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(updated_at, forKey: .updated_at)
    }
}

/// `GET /api/v1/session/result/`.
struct SessionResultResponse: Content {
    struct Document: Content {
        var id: UUID
        var name: String
        var sign: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(sign, forKey: .sign)
        }
    }

    var session_id: UUID
    var docs: [Document]
}

/// `GET /api/v1/session/status/`.
struct SessionStatusResponse: Content {
    var session_id: UUID
    var status: SessionStatus
    var failure_reason: FailureReason?
    var created_at: String
    var updated_at: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session_id, forKey: .session_id)
        try container.encode(status, forKey: .status)
        try container.encode(failure_reason, forKey: .failure_reason)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(updated_at, forKey: .updated_at)
    }
}

/// The one timestamp format of the API: ISO 8601 in UTC with milliseconds, `2024-01-01T00:00:00.000Z`.
enum APITimestamp {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func format(_ date: Date) -> String { style.format(date) }
}
