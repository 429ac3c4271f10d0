import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// The cabinet's pages, rendered on the server without script. Each page's `<main>` carries
/// `data-page`; every form posts a `csrf_token`; buttons carry `data-action`, errors `data-error`
/// and notices `data-notice` (the contract in the README).
struct CabinetPage {
    let language: ClientLanguage
    let dark: Bool
    /// The token every form posts.
    let csrfToken: String
    /// Who is logged in (their email) and for which organization; nil before login.
    let account: (email: String, organization: String)?

    /// One entry of a session's timeline.
    struct TimelineEntry {
        let at: Date
        /// `created`, `opened`, `step-passed`, `step-failed`, `step-wrong`, `finished`, `canceled` or `webhook`.
        let event: String
        let text: String
    }

    /// The sessions list's filter, as given in the query.
    struct SessionFilter {
        var status: SessionStatus?
        var from: String
        var to: String
    }

    // MARK: Pieces

    /// A text of the page, escaped.
    func text(_ key: CabinetText, _ arguments: CustomStringConvertible...) -> String {
        HTML.escape(language.text(key, arguments: arguments))
    }


    static let dateStyle = Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: .gmt)

    private func date(_ date: Date?) -> String {
        date.map { "<time datetime=\"\(APITimestamp.format($0))\">\(Self.dateStyle.format($0))</time>" } ?? "—"
    }

    private func hidden() -> String {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(HTML.escape(csrfToken))\">"
    }

    /// A form posting to `action` with `fields` and one button.
    private func form(_ action: String, button: String, data: String, fields: String = "", inline: Bool = false, secondary: Bool = false)
        -> String
    {
        """
        <form method="post" action="\(HTML.escape(action))"\(inline ? " class=\"inline\"" : "")>\(hidden())\(fields)\
        <button type="submit" data-action="\(data)"\(secondary ? " class=\"secondary\"" : "")>\(button)</button></form>
        """
    }

    private func field(_ name: String, _ label: String, type: String = "text", value: String = "", attributes: String = "") -> String {
        """
        <label for="\(name)">\(label)</label><input id="\(name)" name="\(name)" type="\(type)" value="\(HTML.escape(value))" \(attributes)>
        """
    }

    private func secret(_ kind: String, heading: CabinetText, _ value: String) -> String {
        """
        <div class="secret-box" role="status"><strong>\(text(heading))</strong>
        <code class="secret" data-secret="\(kind)">\(HTML.escape(value))</code><p class="hint">\(text(.secretShownOnce))</p></div>
        """
    }

    private func messages(notice: String?, error: String?) -> String {
        (notice.map { "<p class=\"notice\" role=\"status\" data-notice>\($0)</p>" } ?? "")
            + (error.map { "<p class=\"error\" role=\"alert\" data-error>\($0)</p>" } ?? "")
    }

    /// `path` with `query` (empty values left out), escaped for an attribute.
    private static func href(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = query.filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
        return HTML.escape(path + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
    }

    /// A page in the cabinet's frame; the language and theme links lead back to `path` (by default
    /// `/cabinet/<page>`) with `query` (a list's filter).
    private func frame(
        _ page: String, path: String? = nil, query: [(String, String)] = [], heading: String, notice: String? = nil, error: String? = nil,
        status: HTTPStatus = .ok, _ content: String
    ) -> Response {
        let path = path ?? "/cabinet/\(page)"
        var navigation = ""
        if let account {
            let links = [("sessions", CabinetText.navSessions), ("webhooks", .navWebhooks), ("keys", .navKeys),
                         ("organization", .navOrganization), ("password", .navPassword)]
                .map { name, label in
                    "<a href=\"/cabinet/\(name)\" data-nav=\"\(name)\"\(page == name ? " aria-current=\"page\"" : "")>\(text(label))</a>"
                }
            navigation = """
                <nav aria-label="\(text(.title))">\(links.joined(separator: " "))</nav>
                <span class="account">\(HTML.escape(account.email)) · \(HTML.escape(account.organization))</span>
                \(form("/cabinet/logout", button: text(.logOut), data: "logout", inline: true, secondary: true))
                """
        }
        let languages = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")].map { code, name in
            "<a href=\"\(Self.href(path, query + [("language", code)]))\" data-language=\"\(code)\" hreflang=\"\(code)\" lang=\"\(code)\">\(name)</a>"
        }
        let themes = "<a href=\"\(Self.href(path, query + [("theme", "light")]))\" data-theme=\"light\">\(text(.themeLight))</a> "
            + "<a href=\"\(Self.href(path, query + [("theme", "dark")]))\" data-theme=\"dark\">\(text(.themeDark))</a>"
        let body = """
            <header class="cabinet-header"><span class="brand">Qoltanba</span> <span>\(text(.title))</span>\(navigation)</header>
            <main class="cabinet" data-page="\(page)">
            <h1>\(heading)</h1>
            \(messages(notice: notice, error: error))
            \(content)
            </main>
            <footer class="cabinet-footer">\(languages.joined(separator: " ")) · \(themes)</footer>
            """
        return HTML.page(title: language.text(CabinetText.title), language: language.rawValue, dark: dark, body: body, status: status)
    }

    // MARK: Pages

    /// A page that only says what went wrong (a refused form, something not found).
    func message(_ error: CabinetText, status: HTTPStatus) -> Response {
        frame("message", path: "/cabinet", heading: text(.title), error: text(error), status: status, "<p><a href=\"/cabinet\">\(text(.title))</a></p>")
    }

    func login(email: String = "", error: CabinetText? = nil, status: HTTPStatus = .ok) -> Response {
        frame("login", heading: text(.loginHeading), error: error.map { text($0) }, status: status, """
            <section>\(form("/cabinet/login", button: text(.logInAction), data: "login", fields:
                field("email", text(.emailLabel), type: "email", value: email, attributes: "autocomplete=\"username\" required")
                + field("password", text(.passwordLabel), type: "password", attributes: "autocomplete=\"current-password\" required")))
            </section>
            """)
    }

    func password(forced: Bool, notice: String? = nil, error: String? = nil, status: HTTPStatus = .ok) -> Response {
        let rule = text(.passwordRule, StaffAccounts.minimumPasswordLength)
        return frame("password", heading: text(.passwordHeading), notice: notice, error: error, status: status, """
            <section>\(forced ? "<p>\(text(.passwordForced))</p>" : "")
            \(form("/cabinet/password", button: text(.changePasswordAction), data: "change-password", fields:
                field("current_password", text(.currentPassword), type: "password", attributes: "autocomplete=\"current-password\" required")
                + field("new_password", text(.newPassword), type: "password", attributes: "autocomplete=\"new-password\" required")
                + "<p class=\"hint\">\(rule)</p>"
                + field("new_password_confirm", text(.newPasswordConfirm), type: "password", attributes: "autocomplete=\"new-password\" required")))
            </section>
            """)
    }

    func organization(
        _ organization: Organization, newSecret: String? = nil, typedURL: String? = nil, typedOrigins: String? = nil,
        notice: String? = nil, error: String? = nil, status: HTTPStatus = .ok, now: Date = Date()
    ) -> Response {
        let origins = organization.redirectOrigins
        let listed = origins.isEmpty
            ? "<p data-redirect-origins=\"\">\(text(.redirectAny))</p>"
            : "<ul data-redirect-origins=\"\(HTML.escape(origins.joined(separator: " ")))\">"
                + origins.map { "<li><code>\(HTML.escape($0))</code></li>" }.joined() + "</ul>"
        let redirects = listed + form("/cabinet/organization/redirects", button: text(.saveAction), data: "save-redirects", fields:
            field("redirect_origins", text(.redirectOrigins), value: typedOrigins ?? origins.joined(separator: ", "),
                  attributes: "placeholder=\"https://bank.kz, https://app.bank.kz:8443\""))
        var webhook = organization.webhookURL.map { "<p><span class=\"hint\">\(text(.webhookURL)):</span> <span data-webhook-url>\(HTML.escape($0))</span></p>" }
            ?? "<p>\(text(.webhookNone))</p>"
        if let until = organization.previousSecretUntil, until > now {
            webhook += "<p class=\"hint\">\(text(.previousSecretUntil, Self.dateStyle.format(until)))</p>"
        }
        if let newSecret { webhook += secret("webhook", heading: .webhookSecretNew, newSecret) }
        webhook += form("/cabinet/organization", button: text(.saveAction), data: "save-webhook", fields:
            field("webhook_url", text(.webhookURL), type: "url", value: typedURL ?? organization.webhookURL ?? "",
                  attributes: "placeholder=\"https://\" required"))
        if organization.webhookURL != nil {
            webhook += form("/cabinet/organization/rotate", button: text(.rotateAction), data: "rotate-secret", secondary: true)
        }
        return frame("organization", heading: text(.navOrganization), notice: notice, error: error, status: status, """
            <section><dl class="facts">
            <dt>\(text(.organizationName))</dt><dd>\(HTML.escape(organization.name))</dd>
            <dt>\(text(.organizationID))</dt><dd><code data-organization-id>\(organization.id)</code></dd>
            <dt>\(text(.createdLabel))</dt><dd>\(date(organization.createdAt))</dd>
            </dl></section>
            <section><h2>\(text(.webhookHeading))</h2><p class="hint">\(text(.webhookIntro))</p>
            \(webhook)
            </section>
            <section><h2>\(text(.redirectHeading))</h2><p class="hint">\(text(.redirectIntro))</p>
            \(redirects)
            </section>
            """)
    }

    func keys(_ keys: [Key], newSecret: String? = nil, notice: String? = nil) -> Response {
        let rows = keys.map { key -> String in
            let id = key.id
            let state = key.revokedAt.map { text(.keyRevoked, Self.dateStyle.format($0)) } ?? text(.keyActive)
            let action = key.revokedAt == nil
                ? form("/cabinet/keys/\(id)/revoke", button: text(.revokeAction), data: "revoke-key", inline: true, secondary: true) : ""
            return """
                <tr data-key="\(id)" data-state="\(key.revokedAt == nil ? "active" : "revoked")"><td><code data-prefix>\(HTML.escape(key.prefix))</code>…</td>\
                <td>\(HTML.escape(key.label))</td><td>\(date(key.createdAt))</td><td>\(date(key.lastUsedAt))</td><td>\(state)</td><td>\(action)</td></tr>
                """
        }
        let table = rows.isEmpty ? "<p>\(text(.noKeys))</p>" : """
            <table><thead><tr><th>\(text(.keyPrefix))</th><th>\(text(.keyLabel))</th><th>\(text(.createdLabel))</th><th>\(text(.keyLastUsed))</th>\
            <th>\(text(.stateLabel))</th><th></th></tr></thead><tbody>\(rows.joined())</tbody></table>
            """
        return frame("keys", heading: text(.navKeys), notice: notice, """
            <section><p class="hint">\(text(.keysIntro))</p>
            \(newSecret.map { secret("api-key", heading: .keyNew, $0) } ?? "")
            \(form("/cabinet/keys", button: text(.createKeyAction), data: "create-key", fields:
                field("label", text(.keyLabel), attributes: "maxlength=\"100\""), inline: true))
            </section>
            <section>\(table)</section>
            """)
    }

    /// Links to the neighbouring pages of a list, keeping its filter.
    private func pages(_ path: String, query: [(String, String)], page: Int, hasMore: Bool) -> String {
        func link(_ number: Int, _ label: CabinetText) -> String {
            "<a href=\"\(Self.href(path, query + [("page", String(number))]))\" data-page-link=\"\(number)\">\(text(label))</a>"
        }
        let links = (page > 1 ? [link(page - 1, .newerPage)] : []) + (hasMore ? [link(page + 1, .olderPage)] : [])
        return links.isEmpty ? "" : "<p class=\"pages\">\(links.joined(separator: " "))</p>"
    }

    func sessions(_ sessions: [Session], filter: SessionFilter, page: Int, hasMore: Bool, error: String? = nil) -> Response {
        let options = ([("", text(.anyStatus))] + SessionStatus.allCases.map { ($0.rawValue, $0.rawValue) }).map { value, label in
            "<option value=\"\(value)\"\(value == (filter.status?.rawValue ?? "") ? " selected" : "")>\(label)</option>"
        }
        let rows = sessions.map { session -> String in
            let (id, iin) = (session.id, session.maskedIIN)
            let failure = session.failureType.map(HTML.escape) ?? ""
            return """
                <tr data-session="\(id)" data-status="\(HTML.escape(session.status))"><td>\(date(session.createdAt))</td>\
                <td><a href="/cabinet/sessions/\(id)"><code>\(id)</code></a></td><td>\(HTML.escape(session.status))</td><td>\(failure)</td>\
                <td>\(iin)</td><td>\(HTML.escape(session.documentType))</td></tr>
                """
        }
        let table = rows.isEmpty ? "<p>\(text(.noSessions))</p>" : """
            <table><thead><tr><th>\(text(.createdLabel))</th><th>\(text(.sessionLabel))</th><th>\(text(.statusLabel))</th>\
            <th>\(text(.failureLabel))</th><th>\(text(.iinLabel))</th><th>\(text(.typeLabel))</th></tr></thead><tbody>\(rows.joined())</tbody></table>
            """
        let query = [("status", filter.status?.rawValue ?? ""), ("from", filter.from), ("to", filter.to)]
        return frame(
            "sessions", query: query + [("page", String(page))], heading: text(.navSessions), error: error,
            status: error == nil ? .ok : .badRequest, """
            <section><form method="get" action="/cabinet/sessions" class="inline">
            <div><label for="status">\(text(.statusLabel))</label><select id="status" name="status">\(options.joined())</select></div>
            <div><label for="from">\(text(.fromLabel))</label><input id="from" name="from" type="date" value="\(HTML.escape(filter.from))"></div>
            <div><label for="to">\(text(.toLabel))</label><input id="to" name="to" type="date" value="\(HTML.escape(filter.to))"></div>
            <button type="submit" data-action="filter">\(text(.filterAction))</button></form></section>
            <section>\(table)\(pages("/cabinet/sessions", query: query, page: page, hasMore: hasMore))</section>
            """)
    }

    func session(_ session: Session, documents: Int, timeline: [TimelineEntry]) -> Response {
        let (id, failure) = (session.id, session.failure)
        let entries = timeline.map { entry in
            "<li data-event=\"\(entry.event)\" class=\"\(entry.event)\">\(date(entry.at))<span>\(HTML.escape(entry.text))</span></li>"
        }
        return frame("session", path: "/cabinet/sessions/\(id)", heading: "\(text(.sessionLabel)) <code>\(id)</code>", """
            <section><dl class="facts">
            <dt>\(text(.statusLabel))</dt><dd data-status>\(HTML.escape(session.status))</dd>
            \(failure.map { "<dt>\(text(.failureLabel))</dt><dd>\(HTML.escape($0))</dd>" } ?? "")
            <dt>\(text(.iinLabel))</dt><dd>\(session.maskedIIN)</dd>
            <dt>\(text(.typeLabel))</dt><dd>\(HTML.escape(session.documentType))</dd>
            <dt>\(text(.documentsLabel))</dt><dd>\(documents)</dd>
            <dt>\(text(.checkIDLabel))</dt><dd><code>\(session.checkID)</code></dd>
            <dt>\(text(.createdLabel))</dt><dd>\(date(session.createdAt))</dd>
            <dt>\(text(.expiresLabel))</dt><dd>\(date(session.expiresAt))</dd>
            </dl></section>
            <section><h2>\(text(.timelineHeading))</h2><ol class="timeline">\(entries.joined())</ol></section>
            """)
    }

    private func stateText(_ state: String) -> String {
        switch state {
        case "pending": text(.statePending)
        case "delivered": text(.stateDelivered)
        case "dead": text(.stateDead)
        default: HTML.escape(state)
        }
    }

    func webhooks(
        _ events: [Event], state: String, page: Int, hasMore: Bool,
        notice: String? = nil
    ) -> Response {
        let rows = events.map { event -> String in
            let id = event.id
            let tries = event.attempts.map { attempt in
                "<li>\(date(attempt.at)) \(HTML.escape(attempt.answer)) · \(text(.milliseconds, attempt.milliseconds))</li>"
            }
            let details = tries.isEmpty ? "\(event.attemptCount)"
                : "<details><summary>\(event.attemptCount)</summary><ol>\(tries.joined())</ol></details>"
            let next = event.nextAttemptAt.map(date) ?? "—"
            return """
                <tr data-event="\(id)" data-state="\(HTML.escape(event.state))" data-attempts="\(event.attemptCount)"><td>\(date(event.createdAt))</td>\
                <td>\(HTML.escape(event.event))</td><td><a href="/cabinet/sessions/\(event.sessionID)"><code>\(event.sessionID)</code></a></td>\
                <td>\(stateText(event.state))</td><td>\(details)</td>\
                <td data-last-status>\(HTML.escape(event.lastAnswer))</td><td>\(next)</td>\
                <td>\(form("/cabinet/webhooks/\(id)/redeliver", button: text(.redeliverAction), data: "redeliver", inline: true, secondary: true))</td></tr>
                """
        }
        let table = rows.isEmpty ? "<p>\(text(.noEvents))</p>" : """
            <table><thead><tr><th>\(text(.createdLabel))</th><th>\(text(.eventLabel))</th><th>\(text(.sessionLabel))</th><th>\(text(.stateLabel))</th>\
            <th>\(text(.attemptsLabel))</th><th>\(text(.lastAnswerLabel))</th><th>\(text(.nextTryLabel))</th><th></th></tr></thead>\
            <tbody>\(rows.joined())</tbody></table>
            """
        let options = [("", text(.anyStatus)), ("pending", text(.statePending)), ("delivered", text(.stateDelivered)), ("dead", text(.stateDead))]
            .map { value, label in "<option value=\"\(value)\"\(value == state ? " selected" : "")>\(label)</option>" }
        let query = [("state", state)]
        return frame("webhooks", query: query + [("page", String(page))], heading: text(.navWebhooks), notice: notice, """
            <section><form method="get" action="/cabinet/webhooks" class="inline">
            <div><label for="state">\(text(.stateLabel))</label><select id="state" name="state">\(options.joined())</select></div>
            <button type="submit" data-action="filter">\(text(.filterAction))</button></form></section>
            <section>\(table)\(pages("/cabinet/webhooks", query: query, page: page, hasMore: hasMore))</section>
            """)
    }
}
