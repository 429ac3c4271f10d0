import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
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

@Suite("Cabinet")
struct CabinetTests {
    /// A new account of the first organization: its email and one-time password.
    static func account(_ server: TestServer, organization: UUID? = nil) async throws -> (String, String) {
        let model = try #require(try await OrganizationModel.find(organization ?? server.organizationID, on: server.app.db))
        let email = "staff-\(UUID().uuidString.prefix(8).lowercased())@bank.example"
        let (_, password) = try await server.app.staffAccounts.create(organization: model, email: email.uppercased())
        return (email, password)
    }

    @Test("log in with the one-time password, forced to change it first, then log out; cookies are secure")
    func loginAndPasswordChange() async throws {
        try await TestServer.with { server in
            let (email, oneTime) = try await Self.account(server)
            var browser = CabinetBrowser(server)
            let home = try await browser.get("/cabinet")
            #expect(home.location == "/cabinet/login")
            let csrfCookie = try #require(home.headers[.setCookie].first { $0.hasPrefix("qoltanba-cabinet-csrf=") })
            #expect(try await browser.get("/cabinet/login").page == "login")
            #expect(csrfCookie.contains("Secure") && csrfCookie.contains("HttpOnly") && csrfCookie.contains("SameSite=Strict"))

            let wrong = try await browser.post("/cabinet/login", ["email": email, "password": "not it"])
            #expect(wrong.status == .unauthorized && wrong.page == "login" && wrong.hasError)
            let unknown = try await browser.post("/cabinet/login", ["email": "nobody@bank.example", "password": oneTime])
            #expect(unknown.status == .unauthorized && unknown.hasError)

            let loggedIn = try await browser.post("/cabinet/login", ["email": email, "password": oneTime])
            #expect(loggedIn.location == "/cabinet/password")
            let loginCookie = try #require(loggedIn.headers[.setCookie].first { $0.hasPrefix("qoltanba-cabinet=") })
            #expect(loginCookie.contains("Secure") && loginCookie.contains("HttpOnly") && loginCookie.contains("SameSite=Strict"))
            #expect(try await browser.get("/cabinet/keys").location == "/cabinet/password")
            let page = try await browser.get("/cabinet/password")
            #expect(page.page == "password" && page.status == .ok)
            let refusedKey = try await browser.post("/cabinet/keys", ["label": "too early"])
            #expect(refusedKey.location == "/cabinet/password")
            #expect(try await APIKeyModel.query(on: server.app.db).filter(\.$label == "too early").count() == 0)

            let cases: [([String: String], String)] = [
                (["current_password": "wrong one", "new_password": "long enough 1", "new_password_confirm": "long enough 1"], "wrong"),
                (["current_password": oneTime, "new_password": "short", "new_password_confirm": "short"], "short"),
                (["current_password": oneTime, "new_password": "long enough 1", "new_password_confirm": "long enough 2"], "mismatch"),
                (["current_password": oneTime, "new_password": oneTime, "new_password_confirm": oneTime], "unchanged"),
            ]
            for (form, name) in cases {
                let refused = try await browser.post("/cabinet/password", form)
                #expect(refused.status == .badRequest && refused.hasError && refused.page == "password", "\(name)")
            }
            let changed = try await browser.post(
                "/cabinet/password", ["current_password": oneTime, "new_password": "my own password", "new_password_confirm": "my own password"])
            #expect(changed.location == "/cabinet/sessions")
            let sessions = try await browser.get("/cabinet/sessions")
            #expect(sessions.status == .ok && sessions.page == "sessions")
            #expect(sessions.body.string.contains(email))
            let user = try #require(try await StaffUserModel.query(on: server.app.db).filter(\.$email == email).first())
            #expect(!user.mustChangePassword && !user.passwordHash.contains("my own password") && user.passwordHash.hasPrefix("scrypt$"))

            // The one-time password no longer logs in; the new one does, in another browser.
            var other = CabinetBrowser(server)
            #expect(try await other.logIn(email, oneTime).status == .unauthorized)
            #expect(try await other.logIn(email, "my own password").location == "/cabinet/sessions")

            let kept = browser.cookies
            #expect(try await browser.post("/cabinet/logout").location == "/cabinet/login")
            #expect(browser.cookies["qoltanba-cabinet"] == nil)
            #expect(try await browser.get("/cabinet/sessions").location == "/cabinet/login")
            // The logged-out cookie opens nothing even if a browser kept it.
            browser.cookies = kept
            #expect(try await browser.get("/cabinet/sessions").location == "/cabinet/login")
            #expect(try await other.get("/cabinet/sessions").status == .ok)
        }
    }

    @Test("a form without the page's CSRF token is refused with 403 and changes nothing")
    func csrf() async throws {
        try await TestServer.with { server in
            var browser = try await CabinetBrowser.loggedIn(server)
            try await browser.get("/cabinet/keys")
            var stranger = CabinetBrowser(server)
            try await stranger.get("/cabinet/login")
            let strangerToken = try #require(stranger.csrfToken)
            for token in [String?.none, "0123", strangerToken] {
                let refused = try await browser.post("/cabinet/keys", ["label": "forged"], token: .some(token))
                #expect(refused.status == .forbidden && refused.hasError)
            }
            #expect(try await APIKeyModel.query(on: server.app.db).filter(\.$label == "forged").count() == 0)
            let logout = try await browser.post("/cabinet/logout", token: .some(nil))
            #expect(logout.status == .forbidden)
            #expect(try await browser.get("/cabinet/sessions").status == .ok)
            // The login form too: without a token nobody logs in.
            var fresh = CabinetBrowser(server)
            let (email, oneTime) = try await Self.account(server)
            try await fresh.get("/cabinet/login")
            #expect(try await fresh.post("/cabinet/login", ["email": email, "password": oneTime], token: .some(nil)).status == .forbidden)
            // A token of this browser from before its login is no good after it.
            let beforeLogin = try #require(fresh.csrfToken)
            _ = try await fresh.post("/cabinet/login", ["email": email, "password": oneTime])
            #expect(try await fresh.post("/cabinet/logout", token: .some(beforeLogin)).status == .forbidden)
            // Nor is the right token in a request the browser says another site made.
            let crossSite = try await browser.post("/cabinet/keys", ["label": "forged"], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == .forbidden)
            let real = try await browser.post("/cabinet/keys", ["label": "real\u{0}\n"], headers: ["Sec-Fetch-Site": "same-origin"])
            #expect(real.location == "/cabinet/keys")
            #expect(try await APIKeyModel.query(on: server.app.db).filter(\.$label == "real").count() == 1)
            #expect(try await APIKeyModel.query(on: server.app.db).filter(\.$label == "forged").count() == 0)
        }
    }

    @Test("failed logins slow down one account from one address, doubling each time, with Retry-After; the owner elsewhere is not locked out")
    func rateLimit() async throws {
        try await TestServer.with { server in
            let (email, oneTime) = try await Self.account(server)
            let (otherEmail, otherPassword) = try await Self.account(server)
            var browser = CabinetBrowser(server)
            for _ in 0..<StaffAccounts.freeFailuresPerPair {
                #expect(try await browser.logIn(email, "guess").status == .unauthorized)
            }
            // As if the failures had just happened (each took a password hash's time, longer on a loaded machine).
            for failure in try await LoginFailureModel.query(on: server.app.db).all() {
                failure.at = Date()
                try await failure.save(on: server.app.db)
            }
            let slowed = try await browser.logIn(email, oneTime)
            #expect(slowed.status == .tooManyRequests && slowed.hasError)
            #expect(slowed.headers.first(name: .retryAfter).flatMap(Int.init).map { (1...5).contains($0) } == true)
            #expect(try await browser.logIn(email.uppercased(), oneTime).status == .tooManyRequests)
            var other = CabinetBrowser(server)
            #expect(try await other.logIn(otherEmail, otherPassword).location == "/cabinet/password")

            // The delay doubles with each further failure from the same address…
            let accounts = server.app.staffAccounts
            var now = Date()
            for _ in 0..<StaffAccounts.freeFailuresPerPair {
                _ = try await accounts.logIn(email: email, password: "guess", address: "203.0.113.9", now: now)
            }
            for expected in [5, 10, 20] {
                guard case .throttled(let wait) = try await accounts.logIn(email: email, password: oneTime, address: "203.0.113.9", now: now)
                else {
                    Issue.record("an attempt within the delay was checked")
                    return
                }
                #expect((expected...expected + 1).contains(wait))
                now = now.addingTimeInterval(Double(expected))
                guard case .wrong = try await accounts.logIn(email: email, password: "guess", address: "203.0.113.9", now: now) else {
                    Issue.record("an attempt after the delay was not checked")
                    return
                }
            }
            // …while the account's owner, at another address, logs in at once.
            guard case .loggedIn = try await accounts.logIn(email: email, password: oneTime, address: "198.51.100.7", now: now) else {
                Issue.record("the owner was locked out by failures elsewhere")
                return
            }

            // Whatever a form sends as the email is a wrong login, never a server error.
            for odd in ["a\u{0}@bank.example", String(repeating: "ж", count: 8000) + "@bank.example", ""] {
                var stranger = CabinetBrowser(server)
                #expect(try await stranger.logIn(odd, "whatever").status == .unauthorized)
            }
            // Once the window has passed, the right password works again from the slowed address.
            for failure in try await LoginFailureModel.query(on: server.app.db).all() {
                failure.at = failure.at.addingTimeInterval(-StaffAccounts.window)
                try await failure.save(on: server.app.db)
            }
            #expect(try await browser.logIn(email, oneTime).location == "/cabinet/password")
            // Wrong current passwords at the password change count as failed logins.
            try await browser.get("/cabinet/password")
            for _ in 0..<StaffAccounts.freeFailuresPerPair {
                let wrong = try await browser.post(
                    "/cabinet/password", ["current_password": "guess", "new_password": "long enough 1", "new_password_confirm": "long enough 1"])
                #expect(wrong.status == .badRequest)
            }
            let throttled = try await browser.post(
                "/cabinet/password", ["current_password": oneTime, "new_password": "long enough 1", "new_password_confirm": "long enough 1"])
            #expect(throttled.status == .tooManyRequests && throttled.hasError && throttled.headers.first(name: .retryAfter) != nil)
        }
    }

    @Test("one address may fail 50 logins in the window over any emails, then waits for the oldest to pass")
    func addressLimit() async throws {
        try await TestServer.with { server in
            let accounts = server.app.staffAccounts
            let now = Date()
            for index in 0..<StaffAccounts.failuresPerAddress {
                guard case .wrong = try await accounts.logIn(email: "guess\(index)@bank.example", password: "x", address: "192.0.2.1", now: now)
                else {
                    Issue.record("attempt \(index) was refused")
                    return
                }
            }
            guard case .throttled(let wait) = try await accounts.logIn(email: "next@bank.example", password: "x", address: "192.0.2.1", now: now)
            else {
                Issue.record("the address was not limited")
                return
            }
            #expect((Int(StaffAccounts.window)...Int(StaffAccounts.window) + 1).contains(wait))
            guard case .wrong = try await accounts.logIn(email: "next@bank.example", password: "x", address: "192.0.2.2", now: now) else {
                Issue.record("another address was limited")
                return
            }
        }
    }

    @Test("API keys: created and shown once, listed with prefix and label, revoked (then the API refuses it); another organization's key is out of reach")
    func keys() async throws {
        try await TestServer.with { server in
            var browser = try await CabinetBrowser.loggedIn(server)
            try await browser.get("/cabinet/keys")
            let created = try await browser.submit("/cabinet/keys", ["label": "CRM <prod>"])
            let secret = try #require(created.body.string.firstMatch(of: /data-secret="api-key">(qk_[A-Za-z0-9_-]+)</).map { String($0.1) })
            #expect(created.body.string.contains("CRM &lt;prod&gt;"))
            let key = try #require(try await APIKeyModel.query(on: server.app.db).filter(\.$label == "CRM <prod>").first())
            #expect(key.secretHash == APIKeySecret(secret).hash && secret.hasPrefix(key.prefix))
            let listed = try await browser.get("/cabinet/keys")
            #expect(listed.body.string.contains("data-key=\"\(key.id!.apiString)\" data-state=\"active\""))
            #expect(!listed.body.string.contains(secret), "the key is shown again")
            #expect(try await StaffLoginModel.query(on: server.app.db).filter(\.$flash != nil).count() == 0, "the key is still kept")

            #expect(try await server.createSession(key: secret) != UUID())
            let used = try #require(try await APIKeyModel.find(key.id, on: server.app.db))
            #expect(used.lastUsedAt != nil)
            let revoked = try await browser.submit("/cabinet/keys/\(key.id!.apiString)/revoke")
            #expect(revoked.status == .ok && revoked.body.string.contains("data-state=\"revoked\"") && revoked.body.string.contains("data-notice"))
            let refused = try await server.postJSON("/api/v1/session/create/", #"{"iin":"871008401427","phone":"77011234567"}"#, key: secret)
            #expect(refused.status == .notFound && refused.detail == "organization api-key not found")

            let otherKey = try #require(try await APIKeyModel.query(on: server.app.db).filter(\.$secretHash == APIKeySecret(server.otherKey).hash).first())
            let outOfReach = try await browser.post("/cabinet/keys/\(otherKey.id!.apiString)/revoke")
            #expect(outOfReach.status == .notFound)
            #expect(try await APIKeyModel.find(otherKey.id, on: server.app.db)?.revokedAt == nil)
            #expect(try await browser.post("/cabinet/keys/not-an-id/revoke").status == .notFound)
        }
    }

    @Test("the webhook: saving shows a new secret once (the one deliveries are signed with), rotation keeps the old one a day, a bad URL is refused")
    func webhook() async throws {
        try await TestServer.with { server in
            var browser = try await CabinetBrowser.loggedIn(server)
            let page = try await browser.get("/cabinet/organization")
            #expect(page.body.string.contains(server.organizationID.apiString) && page.body.string.contains("First bank"))
            let bad = try await browser.post("/cabinet/organization", ["webhook_url": "ftp://example.com/hook"])
            #expect(bad.status == .badRequest && bad.hasError)
            #expect(try await OrganizationModel.find(server.organizationID, on: server.app.db)?.webhookURL == nil)

            let saved = try await browser.submit("/cabinet/organization", ["webhook_url": "http://127.0.0.1:9/hook"])
            let secret = try #require(saved.body.string.firstMatch(of: /data-secret="webhook">(whsec_[A-Za-z0-9_-]+)</).map { String($0.1) })
            var organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            #expect(organization.webhookURL == "http://127.0.0.1:9/hook")
            #expect(try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date()) == [secret])
            #expect(!(try await browser.get("/cabinet/organization")).body.string.contains(secret))
            // Saving the same URL again (a second click, a reloaded answer) keeps the secret.
            let again = try await browser.submit("/cabinet/organization", ["webhook_url": "http://127.0.0.1:9/hook"])
            #expect(again.status == .ok && again.body.string.contains("data-notice") && !again.body.string.contains("data-secret"))
            organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            #expect(try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date()) == [secret])

            let rotated = try await browser.submit("/cabinet/organization/rotate")
            let next = try #require(rotated.body.string.firstMatch(of: /data-secret="webhook">(whsec_[A-Za-z0-9_-]+)</).map { String($0.1) })
            organization = try #require(try await OrganizationModel.find(server.organizationID, on: server.app.db))
            #expect(next != secret)
            #expect(try WebhookSecrets.all(of: organization, masterKey: server.app.pki.masterKey, now: Date()) == [next, secret])
        }
        // In production, private addresses are refused unless allowed.
        try await TestServer.with(environment: ["QOLTANBA_WEBHOOK_ALLOW_PRIVATE": "0"]) { server in
            var browser = try await CabinetBrowser.loggedIn(server)
            try await browser.get("/cabinet/organization")
            let refused = try await browser.post("/cabinet/organization", ["webhook_url": "http://10.0.0.7/hook"])
            #expect(refused.status == .badRequest && refused.hasError)
        }
    }

    @Test("redirect origins: saved and listed, a URL with a path refused, an empty list allows any")
    func redirectOrigins() async throws {
        try await TestServer.with { server in
            var browser = try await CabinetBrowser.loggedIn(server)
            #expect(try await browser.get("/cabinet/organization").body.string.contains(#"data-redirect-origins="""#))
            let saved = try await browser.submit("/cabinet/organization/redirects", ["redirect_origins": "https://Bank.example.kz, https://app.bank.example.kz:8443/"])
            #expect(saved.status == .ok && saved.body.string.contains("data-notice"))
            #expect(saved.body.string.contains(#"data-redirect-origins="https://bank.example.kz https://app.bank.example.kz:8443""#))
            let bad = try await browser.post("/cabinet/organization/redirects", ["redirect_origins": "https://bank.example.kz/back"])
            #expect(bad.status == .badRequest && bad.hasError)
            #expect(try await OrganizationModel.find(server.organizationID, on: server.app.db)?.allowedRedirectOrigins
                == ["https://bank.example.kz", "https://app.bank.example.kz:8443"])
            try await browser.submit("/cabinet/organization/redirects", ["redirect_origins": ""])
            #expect(try await OrganizationModel.find(server.organizationID, on: server.app.db)?.redirectOrigins == nil)
        }
    }

    @Test("sessions: listed with status and date filters; a session's timeline shows its steps and deliveries, only a masked IIN")
    func sessionsAndTimeline() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await TestServer.with(environment: WebhookTests.fast) { server in
                var cabinet = try await CabinetBrowser.loggedIn(server)
                try await cabinet.get("/cabinet/organization")
                try await cabinet.post("/cabinet/organization", ["webhook_url": receiver.url])

                let signed = try await server.createSession()
                _ = try await server.uploadBase64(session: signed.apiString, name: "a.pdf", file: Samples.pdf)
                var signer = Browser(server, session: signed)
                try await signer.open()
                try await signer.passBiometrics()
                _ = try await signer.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
                _ = try await signer.post("code", ["otp": "000000"])
                _ = try await signer.post("code", ["otp": try await signer.newestCode()])
                _ = try await signer.post("certificate")
                _ = try await signer.post("code", ["otp": try await signer.newestCode()])
                let failed = try await server.createSession(iin: "800416300257", phone: "77051234567")
                _ = try await server.uploadBase64(session: failed.apiString, name: "a.pdf", file: Samples.pdf)
                var failing = Browser(server, session: failed)
                try await failing.open()
                _ = try await failing.post("documents")
                _ = try await failing.sendFrames()
                let waiting = try await server.createSession()
                try await WebhookTests().deliverAll(server.app)

                let all = try await cabinet.get("/cabinet/sessions")
                for (id, status) in [(signed, "FINISHED"), (failed, "CANCELED"), (waiting, "STARTED")] {
                    #expect(all.body.string.contains("data-session=\"\(id.apiString)\" data-status=\"\(status)\""))
                }
                let finished = try await cabinet.get("/cabinet/sessions?status=FINISHED")
                #expect(finished.body.string.contains(signed.apiString) && !finished.body.string.contains(failed.apiString))
                #expect(finished.body.string.contains(#"href="/cabinet/sessions?status=FINISHED&amp;page=1&amp;language=kk""#), "the filter is kept")
                let today = String(APITimestamp.format(Date()).prefix(10))
                let tomorrow = String(APITimestamp.format(Date().addingTimeInterval(86400)).prefix(10))
                #expect(try await cabinet.get("/cabinet/sessions?from=\(today)&to=\(today)").body.string.contains(waiting.apiString))
                #expect(!(try await cabinet.get("/cabinet/sessions?from=\(tomorrow)")).body.string.contains("data-session="))
                let badDate = try await cabinet.get("/cabinet/sessions?from=27.11.2026")
                #expect(badDate.status == .badRequest && badDate.hasError)
                #expect(!all.body.string.contains("871008401427") && all.body.string.contains("8710******27"))

                let page = try await cabinet.get("/cabinet/sessions/\(signed.apiString)")
                let events = page.body.string.matches(of: /data-event="([a-z-]+)"/).map { String($0.1) }
                #expect(events.first == "created" && events.dropFirst().first == "opened")
                #expect(events.filter { $0 == "step-passed" }.count == 7, "documents, liveness, face match, password, its code, certificate, sign: \(events)")
                #expect(events.contains("step-wrong") && events.filter { $0 == "webhook" }.count == 2)
                #expect(events.filter { $0 != "webhook" }.suffix(2) == ["step-passed", "finished"], "signing, then the status it ended with")
                #expect(!page.body.string.contains("871008401427") && !page.body.string.contains("77011234567"))
                #expect(page.body.string.contains("8710******27"))

                let canceled = try await cabinet.get("/cabinet/sessions/\(failed.apiString)")
                let canceledEvents = canceled.body.string.matches(of: /data-event="([a-z-]+)"/).map { String($0.1) }
                #expect(canceledEvents.filter { $0 != "webhook" }.suffix(2) == ["step-failed", "canceled"])
                #expect(canceled.body.string.contains("Шаг не пройден: Проверка живости"), "the failed step is liveness")
                #expect(canceled.body.string.contains("LIVENESS"))

                // A session past its time to live is listed as what it is: expired.
                let due = try #require(try await SigningSessionModel.find(waiting, on: server.app.db))
                due.expiresAt = Date().addingTimeInterval(-1)
                try await due.save(on: server.app.db)
                let expired = try await cabinet.get("/cabinet/sessions?status=CANCELED")
                #expect(expired.body.string.contains("data-session=\"\(waiting.apiString)\" data-status=\"CANCELED\""))

                // Another organization's session does not exist here.
                let foreign = try await server.createSession(key: server.otherKey)
                #expect(try await cabinet.get("/cabinet/sessions/\(foreign.apiString)").status == .notFound)
                #expect(!(try await cabinet.get("/cabinet/sessions")).body.string.contains(foreign.apiString))
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("webhook deliveries: attempts, answers and the next try listed; redelivery of the organization's own events only")
    func deliveries() async throws {
        let receiver = try await WebhookReceiver.start { $0 == 1 ? .internalServerError : .ok }
        do {
            try await TestServer.with(environment: ["QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "3600", "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "3600"]) { server in
                var cabinet = try await CabinetBrowser.loggedIn(server)
                try await cabinet.get("/cabinet/organization")
                try await cabinet.post("/cabinet/organization", ["webhook_url": receiver.url])
                let session = try await server.createSession()
                _ = try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf)
                var signer = Browser(server, session: session)
                try await signer.open()
                try await WebhookDispatcher.deliverDue(server.app)
                let event = try #require(try await WebhookEventModel.query(on: server.app.db).first())
                let id = try event.requireID().apiString

                var page = try await cabinet.get("/cabinet/webhooks")
                #expect(page.body.string.contains("data-event=\"\(id)\" data-state=\"pending\" data-attempts=\"1\""))
                #expect(page.body.string.contains("<td data-last-status>500</td>"))
                let redelivered = try await cabinet.submit("/cabinet/webhooks/\(id)/redeliver")
                #expect(redelivered.status == .ok && redelivered.body.string.contains("data-notice"))
                try await WebhookDispatcher.deliverDue(server.app)
                page = try await cabinet.get("/cabinet/webhooks")
                #expect(page.body.string.contains("data-event=\"\(id)\" data-state=\"delivered\" data-attempts=\"1\""))
                #expect(receiver.deliveries.count == 2 && receiver.deliveries.allSatisfy { $0.id == id })
                #expect(try await cabinet.get("/cabinet/webhooks?state=dead").body.string.contains(id) == false)

                // Another organization's staff cannot see or redeliver it.
                let (email, oneTime) = try await Self.account(server, organization: try await OrganizationStore(database: server.app.db)
                    .organization(idOrName: "Second telecom").requireID())
                var stranger = CabinetBrowser(server)
                try await stranger.logIn(email, oneTime)
                try await stranger.get("/cabinet/password")
                try await stranger.post("/cabinet/password", ["current_password": oneTime, "new_password": "second password", "new_password_confirm": "second password"])
                #expect(!(try await stranger.get("/cabinet/webhooks")).body.string.contains(id))
                #expect(try await stranger.post("/cabinet/webhooks/\(id)/redeliver").status == .notFound)
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("language and theme chosen by a link are kept in a cookie; every language has every text")
    func view() async throws {
        try await TestServer.with { server in
            var browser = CabinetBrowser(server)
            let kazakh = try await browser.get("/cabinet/login?language=kk&theme=dark")
            #expect(kazakh.body.string.contains("<html lang=\"kk\" class=\"dark\">") && kazakh.body.string.contains("Кабинетке кіру"))
            let again = try await browser.get("/cabinet/login")
            #expect(again.body.string.contains("<html lang=\"kk\" class=\"dark\">"))
            let english = try await browser.get("/cabinet/login?language=en")
            #expect(english.body.string.contains("<html lang=\"en\" class=\"dark\">") && english.body.string.contains("Log in to the cabinet"))
        }
        for text in CabinetText.allCases {
            let (kk, ru, en) = text.translations
            #expect(!kk.isEmpty && !ru.isEmpty && !en.isEmpty, "\(text)")
            #expect([kk, ru].allSatisfy { $0.components(separatedBy: "%").count == en.components(separatedBy: "%").count }, "\(text)")
        }
    }
}
