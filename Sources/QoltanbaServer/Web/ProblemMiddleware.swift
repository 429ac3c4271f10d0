import Foundation
import QoltanbaCore
import QoltanbaDocuments
import Vapor

/// Turns every error into the API reference's JSON shape `{"detail": "<text>"}` with the right status.
///
/// This is the one place where domain errors become HTTP. Unexpected errors are logged with the
/// request id and answered with a bare 500, never with internals.
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return Self.response(for: error, on: request)
        }
    }

    /// The answer to `error`: `{"detail": …}` with its status (and headers, such as `Retry-After`).
    static func response(for error: any Error, on request: Request) -> Response {
        let (status, detail, headers) = problem(for: error, on: request)
        return response(status: status, detail: detail, headers: headers)
    }

    /// `{"detail": …}` with `status`.
    static func response(status: HTTPStatus, detail: String, headers: HTTPHeaders = [:]) -> Response {
        var headers = headers
        headers.contentType = .json
        let body = (try? JSONEncoder().encode(["detail": detail])) ?? Data(#"{"detail":"error"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(data: body))
    }

    private static func problem(for error: any Error, on request: Request) -> (HTTPStatus, String, HTTPHeaders) {
        switch error {
        case let error as QoltanbaError:
            return (Self.status(of: error.code), error.detail, error.code == .busy ? [HTTPHeaders.Name.retryAfter.description: "1"] : [:])
        case let error as DocumentError:
            request.logger.warning("a document could not be processed", metadata: ["error": "\(error)"])
            return (.unprocessableEntity, "the document could not be processed: its stamped copy cannot be made", [:])
        case let error as DecodingError:
            return (.badRequest, Self.describe(error), [:])
        case let abort as any AbortError where abort.status == .payloadTooLarge:
            guard request.url.path.contains("/documents/upload") else {
                return (.payloadTooLarge, "the request body is too large", abort.headers)
            }
            let limit = request.application.qoltanba.maximumUploadBytes
            return (.payloadTooLarge, "the request body is too large: files may be at most \(limit) bytes", abort.headers)
        case let abort as any AbortError where abort.status.code < 500:
            return (abort.status, abort.reason, abort.headers)
        default:
            request.logger.report(error: error)
            return (.internalServerError, "Internal server error", [:])
        }
    }

    static func status(of code: QoltanbaError.Code) -> HTTPStatus {
        switch code {
        case .invalidField, .fileTooLarge, .operatorError: .badRequest
        case .unsupportedMediaType: .unsupportedMediaType
        case .sessionFull: .payloadTooLarge
        case .documentTooComplex, .idempotencyKeyReused: .unprocessableEntity
        case .apiKeyNotFound, .organizationNotFound, .sessionNotFound, .subjectNotFound, .stepNotFound: .notFound
        case .serviceUnavailable, .busy: .serviceUnavailable
        case .sessionAccessDenied, .sessionStateConflict, .idempotencyKeyInUse: .conflict
        }
    }

    /// A decoding error as a sentence that names the field, e.g. `iin: expected a string`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "body" : keys.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(Self.name(of: type)), got null"
        case .keyNotFound(let key, _):
            return "\(key.stringValue): this field is required"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "body: not a valid JSON object"
                : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "body: not a valid JSON object"
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        default: String(describing: type).hasPrefix("Dictionary") ? "a JSON object" : "a different type"
        }
    }
}
