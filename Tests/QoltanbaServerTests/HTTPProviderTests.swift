import Foundation
import NIOConcurrencyHelpers
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import Vapor
import VaporTestUtils

/// A local HTTP server that plays every provider by the README's contract, plus the ways a
/// provider goes wrong: too slow, garbage, an error status.
final class FakeProviders: Sendable {
    let app: Application
    let port: Int
    /// The SMS messages the gateway received.
    let messages: NIOLockedValueBox<[[String: String]]>

    static let token = "provider-token-of-the-tests"

    private init(app: Application, port: Int, messages: NIOLockedValueBox<[[String: String]]>) {
        self.app = app
        self.port = port
        self.messages = messages
    }

    static func start() async throws -> FakeProviders {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        let box = NIOLockedValueBox<[[String: String]]>([])
        let authorized = app.grouped(BearerCheck())
        authorized.post("registry") { request async throws -> Response in
            let body = try request.content.decode([String: String].self)
            let json = body["iin"] == "871008401427" && body["phone"] == "77011234567"
                ? #"{"found":true,"name":{"surname":"Нұрланова","given_name":"Әсел","patronymic":"Қайратқызы"},"latin_name":{"surname":"Nurlanova","given_name":"Assel","patronymic":null},"photo":"AQID"}"#
                : #"{"found":false}"#
            return Response(status: .ok, body: .init(string: json))
        }
        authorized.post("liveness") { request async throws -> Response in
            struct Body: Decodable { let session_id: String; let frames: [String] }
            let body = try request.content.decode(Body.self)
            return Response(status: .ok, body: .init(string: #"{"live":\#(body.frames.count > 1)}"#))
        }
        authorized.post("face") { request async throws -> Response in
            struct Body: Decodable { let iin: String; let image: String; let reference: String? }
            let body = try request.content.decode(Body.self)
            return Response(status: .ok, body: .init(string: #"{"match":\#(body.reference != nil)}"#))
        }
        authorized.post("sms") { request async throws -> HTTPStatus in
            box.withLockedValue { $0.append(try! request.content.decode([String: String].self)) }
            return .noContent
        }
        authorized.post("edocument") { request async throws -> Response in
            let body = try request.content.decode([String: String].self)
            return Response(status: .ok, body: .init(string: #"{"approved":\#(body["action"] == "issue")}"#))
        }
        app.post("slow") { _ async throws -> Response in
            try await Task.sleep(for: .seconds(12))
            return Response(status: .ok, body: .init(string: #"{"live":true,"match":true,"approved":true,"found":false}"#))
        }
        app.post("garbage") { _ in Response(status: .ok, body: .init(string: "<html>maintenance</html>")) }
        app.post("wrong-shape") { _ in Response(status: .ok, body: .init(string: #"{"live":"yes","match":1}"#)) }
        app.post("error") { _ in Response(status: .internalServerError, body: .init(string: #"{"live":true}"#)) }
        try await app.server.start()
        let port = try #require(app.http.server.shared.localAddress?.port)
        return FakeProviders(app: app, port: port, messages: box)
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    /// An adapter's provider for `path`; a short timeout only where the test waits for it, and a
    /// long one elsewhere, since a loaded machine (every suite runs at once) can be slow to answer.
    func provider(_ path: String, token: String? = FakeProviders.token, timeout: Int = 60, client: any Client) -> HTTPProvider {
        HTTPProvider(
            name: path, endpoint: .init(url: "http://127.0.0.1:\(port)/\(path)", token: token), timeout: timeout, client: client,
            logger: Logger(label: "test"))
    }

    struct BearerCheck: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            guard request.headers.bearerAuthorization?.token == FakeProviders.token else { return Response(status: .unauthorized) }
            return try await next.respond(to: request)
        }
    }
}

@Suite("HTTP providers", .serialized)
struct HTTPProviderTests {
    let session = UUID()

    func withProviders(_ body: (FakeProviders, any Client) async throws -> Void) async throws {
        let fake = try await FakeProviders.start()
        do {
            try await body(fake, fake.app.client)
        } catch {
            try await fake.stop()
            throw error
        }
        try await fake.stop()
    }

    @Test("each adapter follows the documented contract, with the bearer token")
    func contract() async throws {
        try await withProviders { fake, client in
            let iin = try IIN("871008401427")
            let registry = HTTPCitizenRegistry(provider: fake.provider("registry", client: client))
            let citizen = try #require(try await registry.citizen(iin: iin, phone: try PhoneNumber("77011234567")))
            #expect(citizen.name.full == "Нұрланова Әсел Қайратқызы")
            #expect(citizen.latinName.patronymic == "")
            #expect(citizen.photo == [1, 2, 3])
            #expect(try await registry.citizen(iin: iin, phone: try PhoneNumber("77021234567")) == nil)

            let liveness = HTTPLivenessProvider(provider: fake.provider("liveness", client: client))
            #expect(await liveness.judge(frames: [[1], [2]], session: session, iin: iin) == .live)
            #expect(await liveness.judge(frames: [[1]], session: session, iin: iin) == .notLive)

            let face = HTTPFaceMatchProvider(provider: fake.provider("face", client: client))
            #expect(await face.match(image: [1], reference: [2], session: session, iin: iin) == .match)
            #expect(await face.match(image: [1], reference: nil, session: session, iin: iin) == .mismatch)

            let sms = HTTPSMSGateway(provider: fake.provider("sms", client: client))
            try await sms.send(to: try PhoneNumber("77011234567"), text: "Qoltanba: 123456", code: "123456")
            #expect(fake.messages.withLockedValue { $0 } == [["to": "77011234567", "text": "Qoltanba: 123456"]])

            let eDocument = HTTPEDocumentService(provider: fake.provider("edocument", client: client))
            #expect(await eDocument.approve(iin: iin, reissue: false) == .approved)
            #expect(await eDocument.approve(iin: iin, reissue: true) == .refused)

            // Without the token the provider refuses: unavailable, not a crash.
            let anonymous = HTTPLivenessProvider(provider: fake.provider("liveness", token: nil, client: client))
            #expect(await anonymous.judge(frames: [[1], [2]], session: session, iin: iin) == .unavailable)
        }
    }

    @Test("a provider that times out, answers garbage, the wrong shape or an error is unavailable", arguments: [
        "slow", "garbage", "wrong-shape", "error",
    ])
    func unavailable(path: String) async throws {
        try await withProviders { fake, client in
            let iin = try IIN("871008401427")
            let provider = fake.provider(path, timeout: 2, client: client)
            #expect(await HTTPLivenessProvider(provider: provider).judge(frames: [[1], [2]], session: session, iin: iin) == .unavailable)
            #expect(await HTTPFaceMatchProvider(provider: provider).match(image: [1], reference: [1], session: session, iin: iin) == .unavailable)
            #expect(await HTTPEDocumentService(provider: provider).approve(iin: iin, reissue: false) == .unavailable)
            await #expect(throws: QoltanbaError.registryUnavailable) {
                try await HTTPCitizenRegistry(provider: provider).citizen(iin: iin, phone: try PhoneNumber("77011234567"))
            }
            if path != "garbage" && path != "wrong-shape" {  // any 2xx is a delivered SMS
                await #expect(throws: HTTPProvider.Unavailable.self) {
                    try await HTTPSMSGateway(provider: provider).send(to: try PhoneNumber("77011234567"), text: "t", code: "1")
                }
            }
        }
    }

    @Test("a production server on HTTP providers ends a signer's flow with lv-unavailable when liveness is down")
    func flowOnHTTPProviders() async throws {
        try await withProviders { fake, _ in
            let base = "http://127.0.0.1:\(fake.port)"
            var environment = [
                "QOLTANBA_MODE": "production", "QOLTANBA_MASTER_KEY": TestServer.randomMasterKey(),
                "QOLTANBA_REGISTRY_URL": "\(base)/registry", "QOLTANBA_REGISTRY_TOKEN": FakeProviders.token,
                "QOLTANBA_LIVENESS_URL": "\(base)/slow", "QOLTANBA_FACE_MATCH_URL": "\(base)/face",
                "QOLTANBA_SMS_URL": "\(base)/sms", "QOLTANBA_PROVIDER_TIMEOUT_SECONDS": "8",
                "QOLTANBA_LIVENESS_TOKEN": FakeProviders.token, "QOLTANBA_FACE_MATCH_TOKEN": FakeProviders.token,
                "QOLTANBA_SMS_TOKEN": FakeProviders.token,
            ]
            if !TestServer.usesPostgres {
                environment["QOLTANBA_DATABASE_URL"] = FileManager.default.temporaryDirectory
                    .appendingPathComponent("http-providers-\(UUID()).sqlite").path
            }
            try await TestServer.with(environment: environment) { server in
                let session = try await server.createSession()
                #expect(try await server.uploadBase64(session: session.apiString, name: "a.pdf", file: Samples.pdf).status == .ok)
                var browser = Browser(server, session: session)
                try await browser.open("&redirect_url=https%3A%2F%2Fbank.example.kz%2F")
                _ = try await browser.post("documents")
                let answer = try await browser.sendFrames()
                #expect(try answer.json()["next"] as? String == "https://bank.example.kz/?status=false&reason=lv-unavailable")
            }
        }
    }
}
