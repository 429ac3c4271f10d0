import Vapor

/// Gives every request an id: the client's `X-Request-Id` when it is a sane token (1 to 128
/// letters, digits, `.`, `_` or `-`), else a new UUID. The id is echoed in the response's
/// `X-Request-Id` and carried by every log line of the request (`request-id`).
struct RequestIDMiddleware: AsyncMiddleware {
    static let header: HTTPHeaders.Name = "X-Request-Id"

    static func isSane(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
                default: false
                }
            }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let given = request.headers.first(name: Self.header)
        let id = given.flatMap { Self.isSane($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
        request.logger[metadataKey: "request-id"] = .string(id)
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            response = ProblemMiddleware.response(for: error, on: request)
        }
        response.headers.replaceOrAdd(name: Self.header, value: id)
        return response
    }
}
