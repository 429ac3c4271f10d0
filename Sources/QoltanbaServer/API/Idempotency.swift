import Crypto
import Foundation
import MultipartKit
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `Idempotency-Key` on the operations that create something (a session, a document): a retry with
/// the same key and the same request within 24 hours gets the first answer again, marked
/// `Idempotent-Replayed: true`, and creates nothing. The same key with another request is a 422;
/// a retry while the first request still runs is a 409. Keys belong to the organization.
enum Idempotency {
    static let header = "Idempotency-Key"
    /// How long an answer is kept.
    static let lifetime: TimeInterval = 24 * 3600
    /// How long a request may run before its key is taken as abandoned (its instance died).
    static let stale: TimeInterval = 5 * 60

    /// Runs `body` once per key: `fingerprint` tells whether a retry is the same request.
    static func run(
        _ request: Request, fingerprint: () throws -> String, _ body: () async throws -> Response
    ) async throws -> Response {
        guard let key = request.headers.first(name: header) else { return try await body() }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw QoltanbaError.invalidField(header, "must be 1 to 255 visible ASCII characters")
        }
        let store = request.stores.idempotency
        let organizationID = request.organizationID
        switch try await store.claim(
            organizationID: organizationID, key: key, fingerprint: try fingerprint(), now: Date(), lifetime: lifetime, stale: stale)
        {
        case .running:
            throw QoltanbaError(.idempotencyKeyInUse, "\(header): the first request with this key is still running; retry later")
        case .mismatch:
            throw QoltanbaError(.idempotencyKeyReused, "\(header): this key was used with a different request")
        case .answered(let answer):
            var headers = HTTPHeaders()
            if let type = answer.contentType { headers.replaceOrAdd(name: .contentType, value: type) }
            headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            return Response(status: HTTPResponseStatus(statusCode: answer.status), headers: headers, body: .init(data: answer.body))
        case .claimed:
            let response: Response
            do {
                response = try await body()
            } catch {
                response = ProblemMiddleware.response(for: error, on: request)
            }
            // A failure on the server's side (5xx) is not an answer to keep: a retry may run. The
            // request's own answer stands even if keeping it fails (a retry then waits for the claim to lapse).
            do {
                if response.status.code >= 500 {
                    try await store.release(organizationID: organizationID, key: key)
                } else {
                    try await store.answer(organizationID: organizationID, key: key, with: .init(
                        status: Int(response.status.code), contentType: response.headers.first(name: .contentType),
                        body: response.body.data ?? Data()))
                }
            } catch {
                request.logger.warning("the answer of an Idempotency-Key request was not kept", metadata: ["error": "\(error)"])
            }
            return response
        }
    }

    /// A JSON body's fingerprint: the operation and the fields, whatever their order and spacing,
    /// with the SHA-256 of the decoded file of a base64 upload (however its base64 was wrapped).
    static func jsonFingerprint(path: String, json: Data, file: ByteBuffer? = nil) -> String {
        let canonical = (try? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]))
            .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) } ?? json
        let fileDigest = file.map { SHA256.hash(data: $0.readableBytesView).hexString } ?? ""
        return digest(Data(operation(path).utf8) + [0] + canonical + [0] + Data(fileDigest.utf8))
    }

    /// A multipart form's fingerprint: the operation and each field's name with the SHA-256 of its
    /// value (the file's included), so that another boundary or part order is the same request.
    static func formFingerprint(path: String, parts: [String: MultipartPart]) -> String {
        let fields = parts.sorted { $0.key < $1.key }.map { "\($0.key)=\(SHA256.hash(data: $0.value.body.readableBytesView).hexString)" }
        return digest(Data(([operation(path)] + fields).joined(separator: "\n").utf8))
    }

    /// The path without its trailing slash: both spellings are one operation.
    private static func operation(_ path: String) -> String {
        path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    private static func digest(_ data: Data) -> String { SHA256.hash(data: data).hexString }
}
