import Vapor

extension Request {
    /// Reads the body as it arrives, piece by piece, and refuses it (413) past `limit` bytes: a
    /// declared length is checked before anything is read. For routes registered with `body: .stream`.
    func readBody(limit: Int, _ take: (ByteBuffer) throws -> Void) async throws {
        if let declared = declaredBodyLength, declared > limit { throw Abort(.payloadTooLarge) }
        var total = 0
        for try await piece in body {
            total += piece.readableBytes
            guard total <= limit else { throw Abort(.payloadTooLarge) }
            try take(piece)
        }
    }

    /// The body's length as the client declared it (`Content-Length`), when it did.
    var declaredBodyLength: Int? {
        headers.first(name: .contentLength).flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
    }
}
