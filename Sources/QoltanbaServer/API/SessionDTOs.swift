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

/// An optional that is written as `null` when absent, as the API reference's responses show
/// (`"sign": null`, `"failure_reason": null`), where Swift would leave the key out.
@propertyWrapper
struct NullWhenAbsent<Value: Codable & Sendable>: Codable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
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

extension UUID {
    /// The id as the API writes it: lower case, as the API reference's examples show.
    var apiString: String { uuidString.lowercased() }
}

/// The one timestamp format of the API: ISO 8601 in UTC with milliseconds, `2024-01-01T00:00:00.000Z`.
enum APITimestamp {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func format(_ date: Date) -> String { style.format(date) }
}
