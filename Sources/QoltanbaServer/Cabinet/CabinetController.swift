import Crypto
import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// The organization cabinet at `/cabinet`: staff log in, change their password, set the webhook,
/// manage API keys, and follow sessions and webhook deliveries.
///
/// Cookies (all `Path=/cabinet; Secure; HttpOnly; SameSite=Strict`): `qoltanba-cabinet` holds a
/// login's token; `qoltanba-cabinet-csrf` a random seed, new at every login and logout. The
/// `csrf_token` every form must post back is the HMAC of the seed and the login under a key
/// derived from the master key, so a page of another site can neither read nor forge it, nor
/// make one work by planting a seed of its own.
struct CabinetController: RouteCollection {
    static let loginCookie = "qoltanba-cabinet"
    static let csrfCookie = "qoltanba-cabinet-csrf"
    /// The chosen language and theme, e.g. `kk.dark`.
    static let viewCookie = "qoltanba-cabinet-view"

    /// The page of a list the query's `page` (from 1) asks for.
    static func pageNumber(_ request: Request) -> Int {
        (try? request.query.get(Int.self, at: "page")) ?? 1
    }

    func boot(routes: any RoutesBuilder) throws {
        // Made now, so that the first login of an unknown email takes no longer than the others.
        _ = PasswordHash.decoy
        let cabinet = routes.grouped("cabinet")
        cabinet.get { request async throws -> Response in
            let visit = try await Visit(request)
            return visit.finish(request.redirect(to: visit.staff == nil ? "/cabinet/login" : "/cabinet/sessions", redirectType: .normal))
        }
        cabinet.get("login", use: loginPage)
        cabinet.get("password") { request in try await page(request) { visit, staff in visit.page.password(forced: staff.user.mustChangePassword) } }
        cabinet.get("organization") { request in
            try await page(request) { visit, staff in
                visit.page.organization(
                    .init(staff.organization), newSecret: try await takeSecret(.webhook, request, staff), notice: visit.notice(request))
            }
        }
        cabinet.get("keys") { request in
            try await page(request) { visit, staff in
                visit.page.keys(
                    try await request.stores.organizations.apiKeys(of: staff.organization.id).map(CabinetPage.Key.init),
                    newSecret: try await takeSecret(.apiKey, request, staff), notice: visit.notice(request))
            }
        }
        cabinet.get("sessions", use: sessions)
        cabinet.get("sessions", ":session", use: session)
        cabinet.get("webhooks", use: webhooks)

        let posts: [([PathComponent], @Sendable (Request, Visit, Form) async throws -> Response)] = [
            (["login"], logIn), (["logout"], logOut), (["password"], changePassword), (["organization"], saveWebhook),
            (["organization", "rotate"], rotateSecret), (["organization", "redirects"], saveRedirectOrigins), (["keys"], createKey), (["keys", ":key", "revoke"], revokeKey),
            (["webhooks", ":event", "redeliver"], redeliver),
        ]
        for (path, handler) in posts {
            cabinet.on(.POST, path, body: .collect(maxSize: "16kb")) { request in
                let visit = try await Visit(request)
                let form = (try? request.content.decode(Form.self)) ?? Form()
                // Browsers say where a request comes from: only the cabinet's own pages may post.
                let site = request.headers.first(name: "Sec-Fetch-Site") ?? "same-origin"
                guard site == "same-origin", visit.accepts(form.csrf_token) else {
                    return visit.finish(visit.page.message(.formExpired, status: .forbidden))
                }
                return visit.finish(try await handler(request, visit, form))
            }
        }
    }

    /// Every field any cabinet form posts.
    struct Form: Content {
        var csrf_token: String?
        var email: String?
        var password: String?
        var current_password: String?
        var new_password: String?
        var new_password_confirm: String?
        var webhook_url: String?
        var redirect_origins: String?
        var label: String?
    }

    // MARK: After a form

    /// What a form's answer (a redirect) asks the next page to say, as `?done=`.
    enum Done: String {
        case webhookSaved = "webhook-saved"
        case redirectsSaved = "redirects-saved"
        case keyRevoked = "key-revoked"
        case redelivered

        var text: CabinetText {
            switch self {
            case .webhookSaved: .webhookSaved
            case .redirectsSaved: .redirectSaved
            case .keyRevoked: .keyRevokedNotice
            case .redelivered: .redeliveredNotice
            }
        }
    }

    /// A new secret kept for the next page.
    enum SecretKind: String {
        case apiKey = "api-key"
        case webhook
    }

    /// Keeps a new secret, sealed, on the login until the next page of its kind shows it: a form
    /// answers with a redirect, so that reloading the page shows nothing again and posts nothing again.
    private func keep(_ secret: String, _ kind: SecretKind, _ request: Request, _ staff: Staff) async throws {
        let flash = try request.application.sealer.seal(Array("\(kind.rawValue):\(secret)".utf8), as: .cabinetFlash(login: staff.login.id))
        try await request.stores.staff.setFlash(of: staff.login.id, flash)
    }

    /// The secret of `kind` kept for this page, taken away; nil when there is none.
    private func takeSecret(_ kind: SecretKind, _ request: Request, _ staff: Staff) async throws -> String? {
        guard let box = staff.login.flash,
              let bytes = try? request.application.sealer.open(box, as: .cabinetFlash(login: staff.login.id)),
              let kept = String(bytes: bytes, encoding: .utf8), kept.hasPrefix(kind.rawValue + ":")
        else { return nil }
        try await request.stores.staff.setFlash(of: staff.login.id, nil)
        return String(kept.dropFirst(kind.rawValue.count + 1))
    }

    static func redirect(_ request: Request, _ path: String, done: Done? = nil) -> Response {
        request.redirect(to: path + (done.map { "?done=\($0.rawValue)" } ?? ""), redirectType: .normal)
    }

    static func cookie(_ value: String, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/cabinet", isSecure: true, isHTTPOnly: true, sameSite: .strict)
    }

    /// A response that also gives the browser a new CSRF seed (at login and logout).
    private static func reseeded(_ response: Response) -> Response {
        response.cookies[csrfCookie] = cookie(BrowserToken().cookie, maxAge: nil)
        return response
    }

    /// A page for a logged-in account whose password is its own; otherwise the way there.
    func page(_ request: Request, _ render: (Visit, Staff) async throws -> Response) async throws -> Response {
        let visit = try await Visit(request)
        guard let staff = visit.staff else { return visit.finish(request.redirect(to: "/cabinet/login", redirectType: .normal)) }
        if staff.user.mustChangePassword, request.url.path != "/cabinet/password" {
            return visit.finish(request.redirect(to: "/cabinet/password", redirectType: .normal))
        }
        return visit.finish(try await render(visit, staff))
    }

    /// The same for a form already past its CSRF check.
    func acting(_ request: Request, _ visit: Visit, _ act: (Staff) async throws -> Response) async throws -> Response {
        guard let staff = visit.staff else { return request.redirect(to: "/cabinet/login", redirectType: .normal) }
        if staff.user.mustChangePassword { return request.redirect(to: "/cabinet/password", redirectType: .normal) }
        return try await act(staff)
    }

    // MARK: Logging in and out

    func loginPage(_ request: Request) async throws -> Response {
        let visit = try await Visit(request)
        if visit.staff != nil { return visit.finish(request.redirect(to: "/cabinet/sessions", redirectType: .normal)) }
        return visit.finish(visit.page.login())
    }

    func logIn(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        let email = form.email ?? ""
        let address = Self.clientAddress(request)
        switch try await request.staffAccounts.logIn(email: email, password: form.password ?? "", address: address) {
        case .throttled(let retryAfter):
            request.logger.warning("cabinet login throttled", metadata: ["address": "\(address)"])
            return Self.retrying(after: retryAfter, visit.page.login(email: email, error: .loginThrottled, status: .tooManyRequests))
        case .wrong:
            request.logger.info("cabinet login refused", metadata: ["address": "\(address)"])
            return visit.page.login(email: email, error: .loginWrong, status: .unauthorized)
        case .loggedIn(let user, let token):
            request.logger.info("cabinet login", metadata: ["user": "\(user.id.apiString)"])
            // Every earlier login of this browser ends: the new one starts from a fresh cookie.
            try await request.staffAccounts.logOut(cookie: request.cookies[Self.loginCookie]?.string)
            let response = request.redirect(to: user.mustChangePassword ? "/cabinet/password" : "/cabinet/sessions", redirectType: .normal)
            response.cookies[Self.loginCookie] = Self.cookie(token.cookie, maxAge: Int(StaffAccounts.longest))
            return Self.reseeded(response)
        }
    }

    /// The client address logins are counted under (see `QOLTANBA_TRUSTED_PROXIES`).
    static func clientAddress(_ request: Request) -> String {
        ClientAddress.key(of: request, trusting: request.application.qoltanba.trustedProxies.compactMap(ClientAddress.Block.init))
    }

    /// A 429 with `Retry-After`.
    static func retrying(after seconds: Int, _ response: Response) -> Response {
        response.headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
        return response
    }

    func logOut(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await request.staffAccounts.logOut(cookie: request.cookies[Self.loginCookie]?.string)
        let response = request.redirect(to: "/cabinet/login", redirectType: .normal)
        response.cookies[Self.loginCookie] = Self.cookie("", maxAge: 0)
        return Self.reseeded(response)
    }

    func changePassword(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        guard let staff = visit.staff else { return request.redirect(to: "/cabinet/login", redirectType: .normal) }
        let result = try await request.staffAccounts.changePassword(
            staff.user, keeping: staff.login, current: form.current_password ?? "", new: form.new_password ?? "",
            confirmation: form.new_password_confirm ?? "", address: Self.clientAddress(request))
        let error: String
        switch result {
        case .changed:
            request.logger.info("cabinet password changed", metadata: ["user": "\(staff.user.id.apiString)"])
            return request.redirect(to: "/cabinet/sessions", redirectType: .normal)
        case .wrongCurrent: error = visit.language.text(CabinetText.passwordWrongCurrent)
        case .tooShort: error = visit.language.text(CabinetText.passwordTooShort, StaffAccounts.minimumPasswordLength)
        case .tooLong: error = visit.language.text(CabinetText.passwordTooLong, StaffAccounts.maximumPasswordBytes)
        case .mismatch: error = visit.language.text(CabinetText.passwordMismatch)
        case .unchanged: error = visit.language.text(CabinetText.passwordUnchanged)
        case .throttled(let retryAfter):
            return Self.retrying(after: retryAfter, visit.page.password(
                forced: staff.user.mustChangePassword, error: visit.page.text(.loginThrottled), status: .tooManyRequests))
        }
        return visit.page.password(forced: staff.user.mustChangePassword, error: HTML.escape(error), status: .badRequest)
    }

    // MARK: Organization and webhook

    /// Saves the URL; a new URL gets a new secret, the same URL keeps its secret (a second click
    /// or a reloaded answer does not rotate it again).
    func saveWebhook(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let url = (form.webhook_url ?? "").trimmingCharacters(in: .whitespaces)
            if url == staff.organization.webhookURL { return Self.redirect(request, "/cabinet/organization", done: .webhookSaved) }
            return try await setWebhook(request, visit, staff, url: url)
        }
    }

    func rotateSecret(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            guard let url = staff.organization.webhookURL else {
                return visit.page.organization(.init(staff.organization), error: visit.page.text(.webhookNone), status: .conflict)
            }
            return try await setWebhook(request, visit, staff, url: url)
        }
    }

    /// Sets the URL with a new secret, kept for the organization page to show this once.
    private func setWebhook(_ request: Request, _ visit: Visit, _ staff: Staff, url: String) async throws -> Response {
        let organization = staff.organization
        guard url.utf8.count <= 2048, !url.unicodeScalars.contains(where: \.isControl),
              WebAddress.host(ofAbsoluteHTTP: url) != nil
        else {
            return visit.page.organization(.init(organization), typedURL: url, error: visit.page.text(.webhookNotHTTP), status: .badRequest)
        }
        let secret: String
        do {
            secret = try await WebhookSecrets.set(
                url: url, for: organization.id, sealer: request.application.sealer,
                allowPrivate: request.application.qoltanba.webhooks.allowPrivate, in: request.stores.organizations)
        } catch let error as QoltanbaError where error.code == .operatorError {
            return visit.page.organization(.init(organization), typedURL: url, error: visit.page.text(.webhookRefused), status: .badRequest)
        }
        request.logger.info("webhook set in the cabinet", metadata: [
            "organization": "\(organization.id.apiString)", "user": "\(staff.user.id.apiString)",
        ])
        try await keep(secret, .webhook, request, staff)
        return Self.redirect(request, "/cabinet/organization", done: .webhookSaved)
    }

    /// Saves the origins a session's `redirect_url` may point at; empty allows any.
    func saveRedirectOrigins(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let text = form.redirect_origins ?? ""
            do {
                guard text.utf8.count <= 4096 else { throw QoltanbaError.invalidField("redirect_origins", "too long") }
                try await request.stores.organizations.setRedirectOrigins(text, field: "redirect_origins", for: staff.organization.id)
            } catch let error as QoltanbaError where error.code == .invalidField {
                return visit.page.organization(
                    .init(staff.organization), typedOrigins: text, error: visit.page.text(.redirectInvalid), status: .badRequest)
            }
            request.logger.info("redirect origins set in the cabinet", metadata: [
                "organization": "\(staff.organization.id.apiString)", "user": "\(staff.user.id.apiString)",
            ])
            return Self.redirect(request, "/cabinet/organization", done: .redirectsSaved)
        }
    }

    // MARK: API keys

    func createKey(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let printable = (form.label ?? "").filter { !$0.unicodeScalars.contains(where: \.isControl) }
            let label = String(printable.trimmingCharacters(in: .whitespaces).prefix(100))
            let created = try await request.stores.organizations.createAPIKey(for: staff.organization.id, label: label)
            let (key, secret) = (created.key, created.secret)
            request.logger.info("API key created in the cabinet", metadata: [
                "key": "\(key.id.apiString)", "prefix": "\(key.prefix)", "user": "\(staff.user.id.apiString)",
            ])
            try await keep(secret.value, .apiKey, request, staff)
            return Self.redirect(request, "/cabinet/keys")
        }
    }

    func revokeKey(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let text = request.parameters.get("key") ?? ""
            guard let id = UUID(uuidString: text), let key = try await request.stores.organizations.apiKey(id),
                  key.organizationID == staff.organization.id
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            _ = try await request.stores.organizations.revokeAPIKey(id: text)
            request.application.apiKeyCache.forgetAll()
            request.logger.info("API key revoked in the cabinet", metadata: ["key": "\(text)", "user": "\(staff.user.id.apiString)"])
            return Self.redirect(request, "/cabinet/keys", done: .keyRevoked)
        }
    }
}
