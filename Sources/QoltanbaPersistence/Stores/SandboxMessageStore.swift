import Fluent
import Foundation

/// The SMS messages the sandbox "sent", for its inbox.
public struct SandboxMessageStore: Sendable {
    let database: any Database

    public func add(phone: String, text: String, code: String, at date: Date) async throws {
        try await SandboxMessageModel(phone: phone, text: text, code: code, sentAt: date).create(on: database)
    }

    /// The newest messages (to one phone, if given), newest first.
    public func latest(phone: String?, limit: Int) async throws -> [SandboxMessage] {
        var query = SandboxMessageModel.query(on: database).sort(\.$sentAt, .descending).limit(limit)
        if let phone { query = query.filter(\.$phone == phone) }
        return try await query.all().map { SandboxMessage(phone: $0.phone, text: $0.text, code: $0.code, sentAt: $0.sentAt) }
    }
}

/// An SMS the sandbox "sent".
public struct SandboxMessage: Sendable {
    public let phone: String
    public let text: String
    public let code: String
    public let sentAt: Date
}
