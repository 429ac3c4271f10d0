import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Cabinet login, passwords and CSRF")
struct CabinetLoginTests: CabinetTesting {
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
}
