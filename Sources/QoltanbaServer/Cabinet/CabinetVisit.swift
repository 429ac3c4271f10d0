import Crypto
import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

extension CabinetController {
    /// A logged-in account with its organization.
    struct Staff {
        let user: StaffUser
        let login: StaffLogin
        let organization: Organization
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
            if let session = try await request.staffAccounts.staff(cookie: request.cookies[CabinetController.loginCookie]?.string),
                let organization = try await request.stores.organizations.organization(session.user.organizationID)
            {
                staff = Staff(user: session.user, login: session.login, organization: organization)
            } else {
                staff = nil
            }
            let key = request.application.sealer.key(.cabinetForms)
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
}
