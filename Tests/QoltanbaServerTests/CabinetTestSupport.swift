import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

/// A staff member's browser in the cabinet: keeps its cookies and posts forms with the CSRF token
/// of the last page it loaded.
struct CabinetBrowser {
    let server: TestServer
    var cookies: [String: String] = [:]
    var csrfToken: String?

    init(_ server: TestServer) {
        self.server = server
    }

    private var cookieHeader: HTTPHeaders {
        cookies.isEmpty ? [:] : ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    private mutating func keep(_ response: TestingHTTPResponse) {
        for header in response.headers[.setCookie] {
            let pair = header.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = pair.first else { continue }
            let value = pair.count > 1 ? pair[1] : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let token = response.body.string.firstMatch(of: /name="csrf_token" value="([0-9a-f]+)"/) { csrfToken = String(token.1) }
    }

    @discardableResult
    mutating func get(_ path: String) async throws -> TestingHTTPResponse {
        let response = try await server.send(.GET, path, key: "", headers: cookieHeader)
        keep(response)
        return response
    }

    /// Posts a form with the last page's token, another `token`, or none (`.some(nil)`).
    @discardableResult
    mutating func post(_ path: String, _ form: [String: String] = [:], token: String?? = nil, headers extra: HTTPHeaders = [:])
        async throws -> TestingHTTPResponse
    {
        var fields = form
        if let token = token ?? csrfToken { fields["csrf_token"] = token }
        var headers = cookieHeader
        headers.add(contentsOf: extra)
        headers.contentType = .urlEncodedForm
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        let response = try await server.send(.POST, path, key: "", headers: headers, body: ByteBuffer(string: body))
        keep(response)
        return response
    }

    /// Posts a form and, when it answers with a redirect (as forms that worked do), loads the page it leads to.
    @discardableResult
    mutating func submit(_ path: String, _ form: [String: String] = [:]) async throws -> TestingHTTPResponse {
        let answer = try await post(path, form)
        guard answer.status == .seeOther, let location = answer.location else { return answer }
        return try await get(location)
    }

    /// Logs in from the login page.
    @discardableResult
    mutating func logIn(_ email: String, _ password: String) async throws -> TestingHTTPResponse {
        try await get("/cabinet/login")
        return try await post("/cabinet/login", ["email": email, "password": password])
    }

    /// Makes an account of the first organization and logs in with it, its password changed to `password`.
    static func loggedIn(_ server: TestServer, password: String = "a staff password") async throws -> CabinetBrowser {
        let (email, oneTime) = try await CabinetTests.account(server)
        var browser = CabinetBrowser(server)
        try await browser.logIn(email, oneTime)
        try await browser.get("/cabinet/password")
        let changed = try await browser.post(
            "/cabinet/password", ["current_password": oneTime, "new_password": password, "new_password_confirm": password])
        try #require(changed.headers.first(name: .location) == "/cabinet/sessions", "\(changed.status) \(changed.body.string)")
        return browser
    }
}

extension TestingHTTPResponse {
    var location: String? { headers.first(name: .location) }
    /// The `data-page` of an HTML answer.
    var page: String? { body.string.firstMatch(of: /data-page="([a-z]+)"/).map { String($0.1) } }
    var hasError: Bool { body.string.contains("data-error") }
}

/// What the cabinet's suites share: a new staff account (`Self.account`, `CabinetTests.account`).
protocol CabinetTesting {}

extension CabinetTesting {
    /// A new account of the first organization: its email and one-time password.
    static func account(_ server: TestServer, organization: UUID? = nil) async throws -> (String, String) {
        let model = try #require(try await server.app.stores.organizations.organization(organization ?? server.organizationID))
        let email = "staff-\(UUID().uuidString.prefix(8).lowercased())@bank.example"
        let password = try await server.app.staffAccounts.create(organization: model, email: email.uppercased()).password
        return (email, password)
    }
}

extension CreatedAPIKey {
    /// The key and its secret, as the tests take them apart.
    var pair: (APIKey, APIKeySecret) { (key, secret) }
}
