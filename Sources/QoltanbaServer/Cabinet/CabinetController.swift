import Crypto
import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
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
    static let pageSize = 50

    /// The page of a sorted list that the query's `page` (from 1) asks for, and whether more follow.
    static func listPage<Row: Model>(_ query: QueryBuilder<Row>, _ request: Request) async throws
        -> (rows: [Row], number: Int, hasMore: Bool)
    {
        let number = max(1, min((try? request.query.get(Int.self, at: "page")) ?? 1, 10_000))
        let rows = try await query.range(((number - 1) * pageSize)..<(number * pageSize + 1)).all()
        return (Array(rows.prefix(pageSize)), number, rows.count > pageSize)
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
                    staff.organization, newSecret: try await takeSecret(.webhook, request, staff), notice: visit.notice(request))
            }
        }
        cabinet.get("keys") { request in
            try await page(request) { visit, staff in
                visit.page.keys(
                    try await OrganizationStore(database: request.db).apiKeys(of: staff.organization),
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

    /// A logged-in account with its organization.
    struct Staff {
        let user: StaffUserModel
        let login: StaffLoginModel
        let organization: OrganizationModel
    }

    /// What every request needs: the view (language, theme), the CSRF seed, and who is logged in.
    struct Visit {
        let language: ClientLanguage
        let dark: Bool
        let seed: BrowserToken
        let newSeed: Bool
        let csrfToken: String
        let staff: Staff?
        /// The view to remember, when the query changed it.
        let view: String?

        init(_ request: Request) async throws {
            let saved = request.cookies[CabinetController.viewCookie]?.string.split(separator: ".").map(String.init) ?? []
            let queryLanguage = try? request.query.get(String.self, at: "language")
            let queryTheme = try? request.query.get(String.self, at: "theme")
            language = ClientLanguage.choose(
                query: queryLanguage ?? saved.first, acceptLanguage: request.headers.first(name: .acceptLanguage))
            dark = (queryTheme ?? (saved.count > 1 ? saved[1] : "light")) == "dark"
            view = queryLanguage != nil || queryTheme != nil ? "\(language.rawValue).\(dark ? "dark" : "light")" : nil
            if let existing = request.cookies[CabinetController.csrfCookie].flatMap({ BrowserToken(cookie: $0.string) }) {
                seed = existing
                newSeed = false
            } else {
                seed = BrowserToken()
                newSeed = true
            }
            if let (user, login) = try await CabinetController.accounts(request)
                .staff(cookie: request.cookies[CabinetController.loginCookie]?.string),
                let organization = try await OrganizationModel.find(user.$organization.id, on: request.db)
            {
                staff = Staff(user: user, login: login, organization: organization)
            } else {
                staff = nil
            }
            let key = request.application.pki.masterKey.derivedKey(purpose: "cabinet csrf")
            let bound = seed.bytes + Array((staff?.login.tokenHash ?? "").utf8)
            csrfToken = Data(HMAC<SHA256>.authenticationCode(for: bound, using: key)).hexString
        }

        var page: CabinetPage {
            CabinetPage(
                language: language, dark: dark, csrfToken: csrfToken,
                account: staff.map { ($0.user.email, $0.organization.name) })
        }

        /// Whether a form's token is the one this browser's seed gives (compared in constant time).
        func accepts(_ token: String?) -> Bool {
            guard !newSeed, let token else { return false }
            return token.utf8.equalsInConstantTime(csrfToken.utf8)
        }

        /// The notice a form's redirect asked for.
        func notice(_ request: Request) -> String? {
            (try? request.query.get(String.self, at: "done")).flatMap(Done.init(rawValue:)).map { page.text($0.text) }
        }

        /// Adds the cookies this visit set.
        func finish(_ response: Response) -> Response {
            if newSeed { response.cookies[CabinetController.csrfCookie] = CabinetController.cookie(seed.cookie, maxAge: nil) }
            if let view { response.cookies[CabinetController.viewCookie] = CabinetController.cookie(view, maxAge: 365 * 24 * 3600) }
            return response
        }
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
        staff.login.flash = Data(try request.application.pki.masterKey.seal(
            Array("\(kind.rawValue):\(secret)".utf8), context: "cabinet flash/\(try staff.login.requireID().apiString)"))
        try await staff.login.save(on: request.db)
    }

    /// The secret of `kind` kept for this page, taken away; nil when there is none.
    private func takeSecret(_ kind: SecretKind, _ request: Request, _ staff: Staff) async throws -> String? {
        guard let box = staff.login.flash,
              let bytes = try? request.application.pki.masterKey.open(
                  Array(box), context: "cabinet flash/\(try staff.login.requireID().apiString)"),
              let kept = String(bytes: bytes, encoding: .utf8), kept.hasPrefix(kind.rawValue + ":")
        else { return nil }
        staff.login.flash = nil
        try await staff.login.save(on: request.db)
        return String(kept.dropFirst(kind.rawValue.count + 1))
    }

    private static func redirect(_ request: Request, _ path: String, done: Done? = nil) -> Response {
        request.redirect(to: path + (done.map { "?done=\($0.rawValue)" } ?? ""), redirectType: .normal)
    }

    static func cookie(_ value: String, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/cabinet", isSecure: true, isHTTPOnly: true, sameSite: .strict)
    }

    static func accounts(_ request: Request) -> StaffAccounts {
        StaffAccounts(database: request.db, threadPool: request.application.threadPool)
    }

    /// A response that also gives the browser a new CSRF seed (at login and logout).
    private static func reseeded(_ response: Response) -> Response {
        response.cookies[csrfCookie] = cookie(BrowserToken().cookie, maxAge: nil)
        return response
    }

    /// A page for a logged-in account whose password is its own; otherwise the way there.
    private func page(_ request: Request, _ render: (Visit, Staff) async throws -> Response) async throws -> Response {
        let visit = try await Visit(request)
        guard let staff = visit.staff else { return visit.finish(request.redirect(to: "/cabinet/login", redirectType: .normal)) }
        if staff.user.mustChangePassword, request.url.path != "/cabinet/password" {
            return visit.finish(request.redirect(to: "/cabinet/password", redirectType: .normal))
        }
        return visit.finish(try await render(visit, staff))
    }

    /// The same for a form already past its CSRF check.
    private func acting(_ request: Request, _ visit: Visit, _ act: (Staff) async throws -> Response) async throws -> Response {
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
        switch try await Self.accounts(request).logIn(email: email, password: form.password ?? "", address: address) {
        case .throttled(let retryAfter):
            request.logger.warning("cabinet login throttled", metadata: ["address": "\(address)"])
            return Self.retrying(after: retryAfter, visit.page.login(email: email, error: .loginThrottled, status: .tooManyRequests))
        case .wrong:
            request.logger.info("cabinet login refused", metadata: ["address": "\(address)"])
            return visit.page.login(email: email, error: .loginWrong, status: .unauthorized)
        case .loggedIn(let user, let token):
            request.logger.info("cabinet login", metadata: ["user": "\(user.id?.apiString ?? "")"])
            // Every earlier login of this browser ends: the new one starts from a fresh cookie.
            try await Self.accounts(request).logOut(cookie: request.cookies[Self.loginCookie]?.string)
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
        try await Self.accounts(request).logOut(cookie: request.cookies[Self.loginCookie]?.string)
        let response = request.redirect(to: "/cabinet/login", redirectType: .normal)
        response.cookies[Self.loginCookie] = Self.cookie("", maxAge: 0)
        return Self.reseeded(response)
    }

    func changePassword(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        guard let staff = visit.staff else { return request.redirect(to: "/cabinet/login", redirectType: .normal) }
        let result = try await Self.accounts(request).changePassword(
            staff.user, keeping: staff.login, current: form.current_password ?? "", new: form.new_password ?? "",
            confirmation: form.new_password_confirm ?? "", address: Self.clientAddress(request))
        let error: String
        switch result {
        case .changed:
            request.logger.info("cabinet password changed", metadata: ["user": "\(staff.user.id?.apiString ?? "")"])
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
                return visit.page.organization(staff.organization, error: visit.page.text(.webhookNone), status: .conflict)
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
            return visit.page.organization(organization, typedURL: url, error: visit.page.text(.webhookNotHTTP), status: .badRequest)
        }
        let secret: String
        do {
            secret = try await WebhookSecrets.set(
                url: url, for: organization, masterKey: request.application.pki.masterKey,
                allowPrivate: request.application.qoltanba.webhooks.allowPrivate, on: request.db)
        } catch let error as QoltanbaError where error.code == .operatorError {
            return visit.page.organization(organization, typedURL: url, error: visit.page.text(.webhookRefused), status: .badRequest)
        }
        request.logger.info("webhook set in the cabinet", metadata: [
            "organization": "\(organization.id?.apiString ?? "")", "user": "\(staff.user.id?.apiString ?? "")",
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
                try await OrganizationStore(database: request.db).setRedirectOrigins(text, field: "redirect_origins", for: staff.organization)
            } catch let error as QoltanbaError where error.code == .invalidField {
                return visit.page.organization(
                    staff.organization, typedOrigins: text, error: visit.page.text(.redirectInvalid), status: .badRequest)
            }
            request.logger.info("redirect origins set in the cabinet", metadata: [
                "organization": "\(staff.organization.id?.apiString ?? "")", "user": "\(staff.user.id?.apiString ?? "")",
            ])
            return Self.redirect(request, "/cabinet/organization", done: .redirectsSaved)
        }
    }

    // MARK: API keys

    func createKey(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let printable = (form.label ?? "").filter { !$0.unicodeScalars.contains(where: \.isControl) }
            let label = String(printable.trimmingCharacters(in: .whitespaces).prefix(100))
            let (key, secret) = try await OrganizationStore(database: request.db).createAPIKey(for: staff.organization, label: label)
            request.logger.info("API key created in the cabinet", metadata: [
                "key": "\(key.id?.apiString ?? "")", "prefix": "\(key.prefix)", "user": "\(staff.user.id?.apiString ?? "")",
            ])
            try await keep(secret.value, .apiKey, request, staff)
            return Self.redirect(request, "/cabinet/keys")
        }
    }

    func revokeKey(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            let text = request.parameters.get("key") ?? ""
            guard let id = UUID(uuidString: text), let key = try await APIKeyModel.find(id, on: request.db),
                  key.$organization.id == staff.organization.id
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            _ = try await OrganizationStore(database: request.db).revokeAPIKey(id: text)
            request.logger.info("API key revoked in the cabinet", metadata: ["key": "\(text)", "user": "\(staff.user.id?.apiString ?? "")"])
            return Self.redirect(request, "/cabinet/keys", done: .keyRevoked)
        }
    }

    // MARK: Sessions

    func sessions(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            let status = (try? request.query.get(String.self, at: "status")) ?? ""
            var filter = CabinetPage.SessionFilter(
                status: SessionStatus(rawValue: status), from: (try? request.query.get(String.self, at: "from")) ?? "",
                to: (try? request.query.get(String.self, at: "to")) ?? "")
            let organizationID = try staff.organization.requireID()
            // Sessions past their time to live are expired first, so that the list never shows them active.
            let repository = SessionRepository(database: request.db)
            for id in try await repository.expiredActiveSessionIDs(now: Date(), limit: 500, organizationID: organizationID) {
                _ = try await repository.find(id)
            }
            var query = SigningSessionModel.query(on: request.db).filter(\.$organization.$id == organizationID)
            if let status = filter.status { query = query.filter(\.$status == status.rawValue) }
            let from = Self.day(filter.from), to = Self.day(filter.to)
            var error: String?
            if (!filter.from.isEmpty && from == nil) || (!filter.to.isEmpty && to == nil) {
                error = visit.page.text(.badDate)
                filter.from = from == nil ? "" : filter.from
                filter.to = to == nil ? "" : filter.to
            }
            if let from { query = query.filter(\.$createdAt >= from) }
            if let to { query = query.filter(\.$createdAt < to.addingTimeInterval(24 * 3600)) }
            let listed = try await Self.listPage(query.sort(\.$createdAt, .descending).sort(\.$id), request)
            return visit.page.sessions(listed.rows, filter: filter, page: listed.number, hasMore: listed.hasMore, error: error)
        }
    }

    /// The start of a `YYYY-MM-DD` day in UTC.
    static func day(_ text: String) -> Date? {
        guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { return nil }
        return try? Date("\(text)T00:00:00Z", strategy: .iso8601)
    }

    func session(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            guard let id = request.parameters.get("session").flatMap(UUID.init(uuidString:)),
                  try await SigningSessionModel.find(id, on: request.db)?.$organization.id == staff.organization.id,
                  let session = try await SessionRepository(database: request.db).find(id)
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            let documents = try await DocumentModel.query(on: request.db).filter(\.$session.$id == id).count()
            return visit.page.session(session, documents: documents, timeline: try await timeline(of: session, visit.language, request.db))
        }
    }

    /// The session's history: its creation, its log (status changes and the signing client's
    /// steps), and every webhook delivery attempt, oldest first.
    private func timeline(of session: SigningSessionModel, _ language: ClientLanguage, _ database: any Database) async throws
        -> [CabinetPage.TimelineEntry]
    {
        let id = try session.requireID()
        var entries = [CabinetPage.TimelineEntry(at: session.createdAt, event: "created", text: language.text(CabinetText.eventCreated))]
        for entry in try await SessionLogModel.query(on: database).filter(\.$sessionID == id).sort(\.$at).all() {
            let step = entry.step.flatMap(SigningFlow.Step.init(rawValue:)).map { Self.stepName($0, language) } ?? (entry.step ?? "")
            switch SessionLogModel.Event(rawValue: entry.event) {
            case .status:
                switch SessionStatus(rawValue: entry.detail ?? "") {
                case .process: entries.append(.init(at: entry.at, event: "opened", text: language.text(CabinetText.eventOpened)))
                case .finished: entries.append(.init(at: entry.at, event: "finished", text: language.text(CabinetText.eventFinished)))
                case .canceled:
                    let reason = session.lifecycle.state.failureReason.map { "\($0.type.rawValue): \($0.detail)" } ?? "OTHER"
                    entries.append(.init(at: entry.at, event: "canceled", text: language.text(CabinetText.eventCanceled, reason)))
                case .started, nil: break
                }
            case .stepPassed:
                entries.append(.init(at: entry.at, event: "step-passed", text: language.text(CabinetText.eventStepPassed, step)))
            case .stepFailed:
                let reason = entry.detail.flatMap(ClientFailure.init(rawValue:)).map { language.text($0) } ?? (entry.detail ?? "")
                entries.append(.init(at: entry.at, event: "step-failed", text: language.text(CabinetText.eventStepFailed, step, reason)))
            case .stepWrong:
                let what = entry.detail == SigningFlowService.Notice.passwordWrong.rawValue
                    ? language.text(CabinetText.wrongPassword) : language.text(CabinetText.wrongCode)
                entries.append(.init(at: entry.at, event: "step-wrong", text: language.text(CabinetText.eventStepWrong, step, what)))
            case nil: break
            }
        }
        let events = try await WebhookEventModel.query(on: database).filter(\.$sessionID == id).all()
        let names = Dictionary(uniqueKeysWithValues: events.compactMap { event in event.id.map { ($0, event.event) } })
        if !names.isEmpty {
            for attempt in try await WebhookAttemptModel.query(on: database).filter(\.$eventID ~~ Array(names.keys)).all() {
                let answer = "\(CabinetPage.answer(status: attempt.status, error: attempt.error)) (\(language.text(CabinetText.milliseconds, attempt.milliseconds)))"
                entries.append(.init(
                    at: attempt.attemptedAt, event: "webhook",
                    text: language.text(CabinetText.eventWebhook, names[attempt.eventID] ?? "", answer)))
            }
        }
        // At the same moment, the step that ended a session comes before the status it ended with.
        func rank(_ entry: CabinetPage.TimelineEntry) -> Int { ["finished", "canceled"].contains(entry.event) ? 1 : 0 }
        return entries.enumerated().sorted { ($0.element.at, rank($0.element), $0.offset) < ($1.element.at, rank($1.element), $1.offset) }
            .map(\.element)
    }

    /// A step's name: the signing client's for its stage, the cabinet's for the first-time password's two steps.
    static func stepName(_ step: SigningFlow.Step, _ language: ClientLanguage) -> String {
        switch step {
        case .documents: language.text(.stepDocuments)
        case .liveness: language.text(.stepLiveness)
        case .faceMatch: language.text(.stepFaceMatch)
        case .passwordCreate: language.text(.stepPasswordCreate)
        case .passwordOTP: language.text(.stepPasswordOTP)
        case .password: language.text(.stepPassword)
        case .certificate: language.text(.stepCertificate)
        case .sign, .done, .failed: language.text(.stepSign)
        }
    }

    // MARK: Webhook deliveries

    func webhooks(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            let state = (try? request.query.get(String.self, at: "state")).flatMap(WebhookEventModel.State.init(rawValue:))
            var query = WebhookEventModel.query(on: request.db).filter(\.$organization.$id == (try staff.organization.requireID()))
            if let state { query = query.filter(\.$state == state.rawValue) }
            let listed = try await Self.listPage(query.sort(\.$createdAt, .descending).sort(\.$id), request)
            let events = listed.rows
            let attempts = try await WebhookAttemptModel.query(on: request.db).filter(\.$eventID ~~ events.compactMap(\.id))
                .sort(\.$attemptedAt).all()
            return visit.page.webhooks(
                events, attempts: Dictionary(grouping: attempts, by: \.eventID), state: state?.rawValue ?? "", page: listed.number,
                hasMore: listed.hasMore, notice: visit.notice(request))
        }
    }

    func redeliver(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            guard let id = request.parameters.get("event").flatMap(UUID.init(uuidString:)),
                  let event = try await WebhookEventModel.find(id, on: request.db),
                  event.$organization.id == staff.organization.id
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            _ = try await WebhookSecrets.redeliver(id.apiString, on: request.db)
            request.logger.info("webhook redelivery asked in the cabinet", metadata: ["event": "\(id.apiString)"])
            return Self.redirect(request, "/cabinet/webhooks", done: .redelivered)
        }
    }
}
