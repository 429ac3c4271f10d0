import Foundation
import NIOFoundationCompat
import QoltanbaCore
import Vapor

extension Request {
    /// Decodes the body as JSON whatever its `Content-Type` says; an empty or non-JSON body is a
    /// 400 that says so.
    func decodeJSONBody<T: Decodable>(_ type: T.Type) throws -> T {
        guard let body = self.body.data, body.readableBytes > 0 else {
            throw QoltanbaError.invalidField("body", "a JSON object is required")
        }
        return try JSONDecoder().decode(T.self, from: body)
    }
}
