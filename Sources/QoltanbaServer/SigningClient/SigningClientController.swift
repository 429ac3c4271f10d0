import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import SwiftASN1
import Vapor
import X509

/// The hosted signing client: `GET /sign` shows the session's current step; each step posts to
/// `/sign/{session}/{action}`. Form posts answer with a redirect (post, redirect, get), JSON posts
/// (the camera's script) with `{"next": URL}`.
struct SigningClientController: RouteCollection {
    let configuration: QoltanbaConfiguration
    let assets: [String: (type: HTTPMediaType, body: String)]

    init(configuration: QoltanbaConfiguration) throws {
        self.configuration = configuration
        var assets: [String: (HTTPMediaType, String)] = [:]
        for (name, type) in [("client.css", HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])),
                             ("client.js", HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"]))] {
            guard let url = Bundle.module.url(forResource: "Resources/client/\(name)", withExtension: nil) else {
                throw QoltanbaError(.operatorError, "the signing client's \(name) is missing from the resources")
            }
            assets[name] = (type, try String(contentsOf: url, encoding: .utf8))
        }
        self.assets = assets
    }

    func boot(routes: any RoutesBuilder) throws {
        let sign = routes.grouped("sign")
        sign.get(use: open)
        sign.get("outcome", use: outcome)
        sign.get("assets", ":file", use: asset)
        let session = sign.grouped(":session")
        session.get("documents", ":document", use: document)
        session.get("download", use: download)
        for action in ClientAction.allCases {
            session.on(.POST, PathComponent(stringLiteral: action.rawValue), body: .collect(maxSize: .init(stringLiteral: action.bodyLimit))) {
                request in try await timed(action.rawValue) { try await step(request, action: action) }
            }
        }
    }

    /// A step's answer, its duration recorded (`qoltanba_signing_step_duration_seconds`).
    private func timed(_ step: String, _ body: () async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        defer { QoltanbaMetrics.signingStep(step, took: ContinuousClock.now - started) }
        return try await body()
    }

    // MARK: Pages

    private struct OpenQuery: Decodable {
        let session: String?
        let redirect_url: String?
        let language: String?
        let theme: String?
        let notice: String?
    }

    /// `GET /sign?session=ID&redirect_url=URL&language=kz|kk|ru|en&theme=0|1`.
    func open(_ request: Request) async throws -> Response {
        let query = try request.query.decode(OpenQuery.self)
        let redirectURL = try query.redirect_url.map(Self.validatedRedirect)
        var language = ClientLanguage.choose(query: query.language, acceptLanguage: request.headers.first(name: .acceptLanguage))
        let dark = query.theme == "1"
        guard let id = query.session.flatMap(UUID.init(uuidString:)), let session = try await request.stores.sessions.find(id)
        else {
            return end(request, failure: .refresh, redirectURL: nil, language: language, dark: dark)
        }
        // A redirect_url outside the organization's allowed origins is ignored: the flow ends on the outcome page.
        let organization = try await request.stores.organizations.organization(session.organizationID)
        let allowedRedirect = redirectURL.flatMap { url in organization?.allowsRedirect(to: url) == true ? url : nil }
        if redirectURL != nil, allowedRedirect == nil {
            request.logger.info("redirect_url outside the allowed origins ignored", metadata: ["session.id": "\(id.apiString)"])
        }
        let cookieName = Self.cookieName(id)
        let opened = try await service(request).open(
            sessionID: id, cookie: request.cookies[cookieName]?.string, redirectURL: allowedRedirect, language: language,
            theme: dark ? 1 : 0)
        guard case .flow(let bound, let newToken) = opened else {
            // Another browser, or a session that cannot be opened: a page, never a redirect to a
            // URL that this request chose.
            return end(request, failure: .refresh, redirectURL: nil, language: language, dark: dark)
        }
        if query.language == nil { language = ClientLanguage(rawValue: bound.flow.language) ?? language }
        let flow = bound.flow.flow
        let response: Response
        if flow.step.isFinal {
            response = end(request, failure: flow.failure, redirectURL: bound.flow.redirectURL, language: language,
                           dark: bound.flow.theme == 1, context: try await context(request, bound, notice: nil))
        } else {
            let notice = query.notice.flatMap(SigningFlowService.Notice.init(rawValue:))
            response = ClientPage(language: language, dark: bound.flow.theme == 1)
                .step(try await context(request, bound, notice: notice))
        }
        if let newToken {
            response.cookies[cookieName] = HTTPCookies.Value(
                string: newToken, maxAge: configuration.sessionTimeToLive, path: "/sign", isSecure: true, isHTTPOnly: true,
                sameSite: .lax)
        }
        return response
    }

    /// `GET /sign/outcome?session=ID`: the end of a flow without `redirect_url`, in its browser.
    func outcome(_ request: Request) async throws -> Response {
        let id = (try? request.query.get(String.self, at: "session")).flatMap(UUID.init(uuidString:))
        let fallback = ClientLanguage.choose(query: nil, acceptLanguage: request.headers.first(name: .acceptLanguage))
        guard let id, let bound = try await service(request).bound(sessionID: id, cookie: request.cookies[Self.cookieName(id)]?.string),
              bound.flow.flow.step.isFinal
        else {
            return end(request, failure: .refresh, redirectURL: nil, language: fallback, dark: false)
        }
        return ClientPage(language: ClientLanguage(rawValue: bound.flow.language) ?? fallback, dark: bound.flow.theme == 1)
            .outcome(bound.flow.flow.failure, context: try await context(request, bound, notice: nil))
    }

    /// A document of the session, for the signer to read before signing.
    func document(_ request: Request) async throws -> Response {
        guard let bound = try await bound(request),
              let documentID = request.parameters.get("document").flatMap(UUID.init(uuidString:)),
              let document = try await request.stores.sessions.document(documentID, in: bound.session.id),
              let content = try await request.stores.sessions.content(of: documentID)
        else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found")
        }
        var headers = HTTPHeaders()
        // XML is shown as plain text in a sandbox; a PDF opens in the browser's viewer, which a
        // sandboxed document would not start.
        if document.type == .pdf {
            headers.contentType = .pdf
            headers.replaceOrAdd(name: "Content-Security-Policy", value: "frame-ancestors 'none'")
        } else {
            headers.contentType = .plainText
            headers.replaceOrAdd(name: "Content-Security-Policy", value: "sandbox; default-src 'none'")
        }
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: content)))
    }

    /// The ZIP of the stamped copies, for the browser that signed, unless the session's metadata
    /// says `show_download_button: false`.
    func download(_ request: Request) async throws -> Response {
        guard let bound = try await bound(request), Self.offersDownload(bound.session) else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found")
        }
        return try await StampedCopies(request, publicURL: configuration.publicURL).archive(of: bound.session, request: request)
    }

    /// Whether the done screen offers the ZIP: a finished session whose metadata does not turn it off.
    static func offersDownload(_ session: SigningSession) -> Bool {
        guard session.status == .finished else { return false }
        guard case .object(let metadata)? = session.metadata else { return true }
        return metadata["show_download_button"] != .bool(false)
    }

    func asset(_ request: Request) throws -> Response {
        guard let name = request.parameters.get("file"), let asset = assets[name] else { throw Abort(.notFound) }
        var headers = HTTPHeaders()
        headers.contentType = asset.type
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .init(string: asset.body))
    }

    // MARK: Steps

    private struct Frames: Decodable {
        let frames: [String]
    }

    private struct StepForm: Decodable {
        let password: String?
        let password_confirm: String?
        let otp: String?
    }

    func step(_ request: Request, action: ClientAction) async throws -> Response {
        guard let bound = try await bound(request, settling: true) else { return try refused(request, action: action) }
        let language = ClientLanguage(rawValue: bound.flow.language) ?? .ru
        // The camera's frames come as JSON, every other step as a small form.
        let frames = action == .liveness ? (try? request.content.decode(Frames.self))?.frames ?? [] : []
        let form = action == .liveness ? nil : try? request.content.decode(StepForm.self)
        return try await claimed(request, bound, action: action) { service in
            switch action {
            case .liveness: try await service.liveness(bound, frames: frames)
            case .documents: try await service.acceptDocuments(bound)
            case .closed: try await service.closed(bound)
            case .faceMatch: try await service.faceMatch(bound)
            case .password where bound.flow.flow.step == .passwordCreate:
                try await service.createPassword(
                    bound, password: form?.password ?? "", confirmation: form?.password_confirm ?? "", language: language)
            case .password: try await service.enterPassword(bound, password: form?.password ?? "")
            case .code: try await service.enterCode(bound, code: form?.otp ?? "")
            case .resend: try await service.resendCode(bound, language: language)
            case .certificate: try await service.acceptCertificate(bound, language: language)
            }
        }
    }

    /// Runs a step on the claimed flow and lets it go; a flow another request holds shows its current step.
    private func claimed(
        _ request: Request, _ bound: SigningFlowService.Bound, action: ClientAction,
        _ step: (SigningFlowService) async throws -> SigningFlowService.StepResult
    ) async throws -> Response {
        let service = service(request)
        guard try await service.claim(bound) else { return try respond(request, .current, bound, action: action) }
        let result: SigningFlowService.StepResult
        do {
            result = try await step(service)
        } catch {
            try await service.release(bound)
            throw error
        }
        try await service.release(bound)
        return try respond(request, result, bound, action: action)
    }

    // MARK: Answers

    private func service(_ request: Request) -> SigningFlowService {
        request.signingFlow
    }

    /// The flow the request's path and cookie name; `settling` for a step, which writes.
    private func bound(_ request: Request, settling: Bool = false) async throws -> SigningFlowService.Bound? {
        guard let id = request.parameters.get("session").flatMap(UUID.init(uuidString:)) else { return nil }
        return try await service(request).bound(sessionID: id, cookie: request.cookies[Self.cookieName(id)]?.string, settling: settling)
    }

    private static func cookieName(_ id: UUID) -> String { "qoltanba-\(id.apiString)" }

    private static func wantsJSON(_ request: Request) -> Bool {
        request.headers.contentType == .json
    }

    /// A step request from a browser that holds no flow of the session.
    private func refused(_ request: Request, action: ClientAction) throws -> Response {
        if Self.wantsJSON(request) { throw QoltanbaError.sessionNotFound }
        let language = ClientLanguage.choose(query: nil, acceptLanguage: request.headers.first(name: .acceptLanguage))
        return end(request, failure: .refresh, redirectURL: nil, language: language, dark: false)
    }

    private func respond(_ request: Request, _ result: SigningFlowService.StepResult, _ bound: SigningFlowService.Bound, action: ClientAction)
        throws -> Response
    {
        let id = bound.session.id.apiString
        let next: String
        switch result {
        case .current: next = "/sign?session=\(id)"
        case .notice(let notice): next = "/sign?session=\(id)&notice=\(notice.rawValue)"
        case .ended(let failure):
            next = bound.flow.redirectURL.map { Self.redirect($0, failure: failure) } ?? "/sign/outcome?session=\(id)"
        case .wrongStep:
            if Self.wantsJSON(request) { throw action.notFound }
            next = "/sign?session=\(id)"
        }
        if Self.wantsJSON(request) {
            let response = Response(status: .ok)
            try response.content.encode(["next": next])
            return response
        }
        return request.redirect(to: next, redirectType: .normal)
    }

    /// The end without a flow to show: back to `redirect_url` with the outcome, or the outcome page.
    private func end(
        _ request: Request, failure: ClientFailure?, redirectURL: String?, language: ClientLanguage, dark: Bool,
        context: ClientPage.Context? = nil
    ) -> Response {
        if let redirectURL { return request.redirect(to: Self.redirect(redirectURL, failure: failure), redirectType: .normal) }
        let page = ClientPage(language: language, dark: dark).outcome(failure, context: context)
        // No flow of this browser to show (an unknown session, another browser's): the page, as a 404.
        if context == nil, failure == .refresh { page.status = .notFound }
        return page
    }

    private func context(_ request: Request, _ bound: SigningFlowService.Bound, notice: SigningFlowService.Notice?) async throws
        -> ClientPage.Context
    {
        let service = service(request)
        let documents = try await service.documents(of: bound).map { (id: $0.id, name: $0.name) }
        var certificate: (String, String, Date, String)?
        if bound.flow.flow.step == .certificate, let model = try await service.certificate(of: bound),
           let parsed = try? Certificate(derEncoded: model.der)
        {
            certificate = (parsed.subject.fullName ?? "", model.serial, model.notAfter, bound.flow.certificateEvent ?? "issued")
        }
        let phone = bound.session.phone.digits
        let id = bound.session.id
        return ClientPage.Context(
            sessionID: id, flow: bound.flow.flow, documents: documents,
            maskedPhone: "+\(phone.prefix(4))***\(phone.suffix(4))", notice: notice, certificate: certificate,
            downloadURL: Self.offersDownload(bound.session) ? "/sign/\(id.apiString)/download" : nil)
    }

    /// `redirect_url` with `status` and `reason` added to its own query, which is kept as it was.
    static func redirect(_ url: String, failure: ClientFailure?) -> String {
        guard var components = URLComponents(string: url) else { return url }
        let added = "status=\(failure == nil ? "true" : "false")&reason=\(failure?.rawValue ?? "None")"
        components.percentEncodedQuery = components.percentEncodedQuery.map { $0.isEmpty ? added : "\($0)&\(added)" } ?? added
        return components.string ?? url
    }

    /// `redirect_url` must be an absolute http(s) URL.
    static func validatedRedirect(_ text: String) throws -> String {
        guard WebAddress.host(ofAbsoluteHTTP: text) != nil else {
            throw QoltanbaError.invalidField("redirect_url", "must be an absolute http or https URL")
        }
        return text
    }
}
