import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// The sandbox's SMS gateway: keeps every message for the sandbox inbox and logs it with the code masked.
struct SandboxSMSGateway: SMSGateway {
    let store: SandboxMessageStore
    let logger: Logger

    func send(to phone: PhoneNumber, text: String, code: String) async throws {
        try await store.add(phone: phone.digits, text: text, code: code, at: Date())
        logger.info("sandbox SMS sent", metadata: ["to": "\(phone.digits.prefix(4))*****\(phone.digits.suffix(2))", "code": "******"])
    }
}

/// `GET /sandbox/sms` and `/sandbox/sms.json?phone=`: the messages the sandbox "sent", newest first.
/// Registered only in sandbox mode, so production answers 404.
struct SandboxSMSController: RouteCollection {
    struct Message: Content {
        let to: String, text: String, code: String
        let sentAt: String
        enum CodingKeys: String, CodingKey { case to, text, code, sentAt = "sent_at" }
    }

    func boot(routes: any RoutesBuilder) throws {
        let sandbox = routes.grouped("sandbox")
        sandbox.get("sms.json") { request async throws -> [Message] in
            try await messages(request)
        }
        sandbox.get("sms") { request async throws -> Response in
            let rows = try await messages(request).map { message in
                "<tr><td>\(HTML.escape(message.to))</td><td><strong>\(HTML.escape(message.code))</strong></td><td>\(HTML.escape(message.text))</td><td>\(HTML.escape(message.sentAt))</td></tr>"
            }
            let body = """
                <h1>Sandbox SMS inbox</h1>
                <p>Every SMS the sandbox sent, newest first. <a href="/sandbox/sms">Refresh</a></p>
                <table><thead><tr><th>to</th><th>code</th><th>text</th><th>sent at</th></tr></thead>
                <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\">No messages yet.</td></tr>" : rows.joined())</tbody></table>
                """
            return HTML.page(title: "Sandbox SMS inbox", language: "en", body: body)
        }
    }

    private func messages(_ request: Request) async throws -> [Message] {
        let phone = try? request.query.get(String.self, at: "phone")
        return try await request.stores.sandboxMessages.latest(phone: phone, limit: 200).map {
            Message(to: $0.phone, text: $0.text, code: $0.code, sentAt: APITimestamp.format($0.sentAt))
        }
    }
}
