import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import Testing
import VaporTesting

/// One browser in the signing client: keeps the cookie the client sets and posts its steps.
public struct Browser: Sendable {
    public let server: TestServer
    public let session: UUID
    public var cookie: String?

    public init(_ server: TestServer, session: UUID) {
        self.server = server
        self.session = session
    }

    private var cookieHeader: HTTPHeaders { cookie.map { ["Cookie": $0] } ?? [:] }

    /// Opens `/sign` with `query` added to the session; keeps the cookie it sets.
    @discardableResult
    public mutating func open(_ query: String = "", headers: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        var headers = headers
        headers.add(contentsOf: cookieHeader)
        let response = try await server.send(.GET, "/sign?session=\(session.apiString)\(query)", key: "", headers: headers)
        if let set = response.headers.first(name: .setCookie) { cookie = String(set.prefix { $0 != ";" }) }
        return response
    }

    /// The `data-step` of the page `/sign` shows now.
    public mutating func step() async throws -> String? {
        let html = try await open().body.string
        return html.firstMatch(of: /data-step="([a-z-]+)"/).map { String($0.1) }
    }

    /// Posts a step as a form; the answer is a redirect.
    public func post(_ action: String, _ form: [String: String] = [:]) async throws -> TestingHTTPResponse {
        var headers = cookieHeader
        headers.contentType = .urlEncodedForm
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return try await server.send(
            .POST, "/sign/\(session.apiString)/\(action)", key: "", headers: headers, body: ByteBuffer(string: body))
    }

    /// Posts a step as JSON, as the client's script does.
    public func postJSON(_ action: String, _ json: String = "{}") async throws -> TestingHTTPResponse {
        var headers = cookieHeader
        headers.contentType = .json
        return try await server.send(
            .POST, "/sign/\(session.apiString)/\(action)", key: "", headers: headers, body: ByteBuffer(string: json))
    }

    /// The newest code the sandbox sent to the session's phone.
    public func newestCode() async throws -> String {
        let phone = try #require(try await SigningSessionModel.find(session, on: server.app.db)).phone
        let message = try await SandboxMessageModel.query(on: server.app.db).filter(\.$phone == phone)
            .sort(\.$sentAt, .descending).first()
        return try #require(message).code
    }

    /// Sends the sample frames.
    public func sendFrames() async throws -> TestingHTTPResponse {
        let frame = Data(Samples.jpeg).base64EncodedString()
        return try await postJSON("liveness", #"{"frames":["\#(frame)","\#(frame)","\#(frame)"]}"#)
    }

    /// Goes from the documents to the password step.
    public mutating func passBiometrics() async throws {
        #expect(try await post("documents").status == .seeOther)
        #expect(try await sendFrames().status == .ok)
        #expect(try await post("face-match").status == .seeOther)
    }
}
