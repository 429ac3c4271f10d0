import Fluent
import Foundation
import Logging
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import VaporTesting

/// A read answers from what is stored and the clock: no GET writes (but for the exceptions the
/// README names), and a session's expiry is recorded once, by the expiry job or the next write.
@Suite("Reads never write")
struct ReadsNeverWriteTests {
    /// Moves a session's end into the past.
    static func overdue(_ session: UUID, _ server: TestServer) async throws {
        let sql = try #require(server.app.db as? any SQLDatabase)
        try await sql.raw("UPDATE signing_sessions SET expires_at = \(bind: Date().addingTimeInterval(-5)) WHERE id = \(bind: session)").run()
    }

    static func stored(_ session: UUID, _ server: TestServer) async throws -> SigningSessionModel {
        try #require(try await SigningSessionModel.find(session, on: server.app.db))
    }

    static func statusLog(_ session: UUID, _ server: TestServer) async throws -> [String] {
        try await SessionLogModel.query(on: server.app.db).filter(\.$sessionID == session).all()
            .filter { $0.event == SessionLogEntry.Event.status.rawValue }.compactMap(\.detail)
    }

    static func webhookEvents(_ session: UUID, _ server: TestServer) async throws -> [String] {
        try await WebhookEventModel.query(on: server.app.db).filter(\.$sessionID == session).all().map(\.event)
    }

    /// The organization gets a webhook, so that transitions write events.
    static func withWebhook(_ server: TestServer) async throws {
        let organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
        _ = try await WebhookSecrets.set(
            url: "http://127.0.0.1:9/hook", for: organization.id, sealer: server.app.sealer, allowPrivate: true, in: server.app.stores.organizations)
    }

    @Test("no GET route writes, an overdue session's included; the first open of /sign and the cabinet's login are the exceptions")
    func getRoutes() async throws {
        try await TestServer.with { server in
            // given: a signed session, an overdue one opened in its browser, an overdue one never opened, a cabinet login
            try await Self.withWebhook(server)
            let signed = try await server.createSession()
            #expect(try await server.uploadBase64(session: signed.apiString, name: "a", file: Samples.pdf).status == .ok)
            var signer = Browser(server, session: signed)
            try await signer.signEverything()
            let document = try #require(try await DocumentModel.query(on: server.app.db).filter(\.$session.$id == signed).first()?.id)
            let checkID = try await Self.stored(signed, server).checkID.apiString

            let opened = try await server.createSession(iin: "760212350620", phone: "77021234567")
            #expect(try await server.uploadBase64(session: opened.apiString, name: "b", file: Samples.pdf).status == .ok)
            var openedBrowser = Browser(server, session: opened)
            try await openedBrowser.open()
            let unopened = try await server.createSession(iin: "800416300257", phone: "77051234567")
            #expect(try await server.uploadBase64(session: unopened.apiString, name: "c", file: Samples.pdf).status == .ok)
            try await Self.overdue(opened, server)
            try await Self.overdue(unopened, server)
            var cabinet = try await CabinetBrowser.loggedIn(server)
            _ = try await server.app.apiKeyUse.flush(to: server.app.stores.organizations)

            // when: every GET route is read, each a few ways
            let writes = try await DatabaseWrites.install(on: server.app)
            typealias Read = (path: String, headers: HTTPHeaders)
            func api(_ path: String) -> Read { (path, ["x-api-key": server.key]) }
            func browser(_ path: String, _ cookie: String?) -> Read { (path, cookie.map { ["Cookie": $0] } ?? [:]) }
            let requests: [String: [Read]] = [
                "api/v1/session/status": [signed, opened, unopened].map { api("/api/v1/session/status/?session_id=\($0.apiString)") },
                "api/v1/session/result": [signed, opened].map { api("/api/v1/session/result/?session_id=\($0.apiString)") },
                "api/v1/session/result/download": [
                    api("/api/v1/session/result/download/?session_id=\(signed.apiString)"),
                    api("/api/v1/session/result/download/?session_id=\(signed.apiString)&in_base64=true"),
                    api("/api/v1/session/result/download/?session_id=\(opened.apiString)"),
                ],
                "api/v1/check/:check": [browser("/api/v1/check/\(checkID)/", nil)],
                "check/:check": [browser("/check/\(checkID)", nil)],
                "sign": [
                    browser("/sign?session=\(signed.apiString)", signer.cookie), browser("/sign?session=\(opened.apiString)", openedBrowser.cookie),
                    browser("/sign?session=\(unopened.apiString)", nil),
                ],
                "sign/outcome": [browser("/sign/outcome?session=\(signed.apiString)", signer.cookie)],
                "sign/assets/:file": [browser("/sign/assets/client.js", nil)],
                "sign/:session/documents/:document": [browser("/sign/\(signed.apiString)/documents/\(document.apiString)", signer.cookie)],
                "sign/:session/download": [browser("/sign/\(signed.apiString)/download", signer.cookie)],
                "swagger": [browser("/swagger", nil)], "swagger/openapi.json": [browser("/swagger/openapi.json", nil)],
                "pki/crl": [browser("/pki/crl", nil)], "pki/root.pem": [browser("/pki/root.pem", nil)],
                "pki/root.cer": [browser("/pki/root.cer", nil)], "pki/issuing.pem": [browser("/pki/issuing.pem", nil)],
                "pki/issuing.cer": [browser("/pki/issuing.cer", nil)],
                "health": [browser("/health", nil)], "health/live": [browser("/health/live", nil)], "health/ready": [browser("/health/ready", nil)],
                "metrics": [browser("/metrics", nil)],
                "sandbox/sms": [browser("/sandbox/sms", nil)], "sandbox/sms.json": [browser("/sandbox/sms.json", nil)],
            ]
            let cabinetPages = ["login", "password", "organization", "keys", "sessions", "sessions/:session", "webhooks"]
            let routes = Set(server.app.routes.all.filter { $0.method == .GET }.map { $0.path.map(\.description).joined(separator: "/") })
            let covered = Set(requests.keys).union(cabinetPages.map { "cabinet/\($0)" }).union(["cabinet"])
            #expect(routes.subtracting(covered).isEmpty, "GET routes this test does not read: \(routes.subtracting(covered).sorted())")

            for (route, sent) in requests.sorted(by: { $0.key < $1.key }) {
                for (path, headers) in sent {
                    let made = try await writes.during {
                        let response = try await server.send(.GET, path, key: "", headers: headers)
                        #expect(response.status.code < 500, "\(path): \(response.status)")
                    }
                    #expect(made.isEmpty, "GET \(path) (\(route)) wrote \(made)")
                }
            }
            for page in ["/cabinet", "/cabinet/login", "/cabinet/password", "/cabinet/organization", "/cabinet/keys", "/cabinet/sessions",
                         "/cabinet/sessions?status=CANCELED", "/cabinet/sessions/\(opened.apiString)", "/cabinet/webhooks"] {
                let made = try await writes.during { _ = try await cabinet.get(page) }
                // The login's expiry slides as the staff member works: the one write a cabinet page may make.
                #expect(made.allSatisfy { $0 == .init(table: "staff_logins", operation: "UPDATE") }, "GET \(page) wrote \(made)")
            }

            // then: the overdue sessions read as expired, and nothing of it is recorded yet
            let status = try await server.send(.GET, "/api/v1/session/status/?session_id=\(opened.apiString)").json()
            #expect(status["status"] as? String == "CANCELED")
            #expect((status["failure_reason"] as? [String: String]) == ["type": "EXPIRED", "detail": "Session has expired"])
            let listed = try await cabinet.get("/cabinet/sessions?status=CANCELED").body.string
            #expect(listed.contains(opened.apiString) && listed.contains(unopened.apiString) && !listed.contains(signed.apiString))
            #expect(!(try await cabinet.get("/cabinet/sessions?status=PROCESS").body.string.contains(opened.apiString)))
            #expect(try await Self.stored(opened, server).status == "PROCESS")
            #expect(try await Self.statusLog(opened, server) == ["PROCESS"])

            // when: the expiry job runs, twice
            try await BackgroundJob.sessionExpiry.round(server.app)
            let again = try await writes.during { try await BackgroundJob.sessionExpiry.round(server.app) }

            // then: each expiry is recorded once, with the time every read showed
            for session in [opened, unopened] {
                let model = try await Self.stored(session, server)
                #expect(model.status == "CANCELED" && model.failureType == "EXPIRED")
                #expect(model.updatedAt == model.expiresAt)
                #expect(try await Self.statusLog(session, server).filter { $0 == "CANCELED" }.count == 1)
                #expect(try await Self.webhookEvents(session, server).filter { $0 == "session.canceled" }.count == 1)
            }
            #expect(again.isEmpty, "a second round wrote \(again)")
        }
    }

    @Test("the next write to an overdue session records its expiry, once; the job then has nothing to do")
    func nextWrite() async throws {
        try await TestServer.with { server in
            // given
            try await Self.withWebhook(server)
            let session = try await server.createSession()
            try await Self.overdue(session, server)
            // when: an upload, a write, comes first
            let upload = try await server.uploadBase64(session: session.apiString, name: "a", file: Samples.pdf)
            // then
            #expect(upload.status == .conflict)
            #expect(try await Self.stored(session, server).status == "CANCELED")
            #expect(try await Self.statusLog(session, server) == ["CANCELED"])
            #expect(try await Self.webhookEvents(session, server) == ["session.canceled"])
            #expect(try await server.uploadBase64(session: session.apiString, name: "a", file: Samples.pdf).status == .conflict)
            #expect(try await SessionExpirySweeper.sweepOnce(server.app.stores.sessions, logger: Logger(label: "test")) == 0)
            #expect(try await Self.statusLog(session, server) == ["CANCELED"])
        }
    }

    @Test("once its time has run out, only the expiry ends a session: a transition read before it is refused")
    func onlyExpiryAfterTime() async throws {
        try await TestServer.with { server in
            // given: a session read while active, whose time then runs out
            let id = try await server.createSession()
            let before = try #require(try await server.app.stores.sessions.stored(id))
            try await Self.overdue(id, server)
            // when / then: the open that was about to happen is refused, the expiry is recorded
            #expect(try await server.app.stores.sessions.record(before, from: .started, to: .process, at: Date()) == nil)
            #expect(try await Self.stored(id, server).status == "STARTED")
            #expect(try await server.app.stores.sessions.expireIfDue(id))
            #expect(try await Self.stored(id, server).failureType == "EXPIRED")
        }
    }

    @Test("a background round with nothing due writes nothing")
    func idleRounds() async throws {
        try await TestServer.with { server in
            // given: a session, a request counted for the rate limit and the key's use, each job's first round done
            _ = try await server.createSession()
            for job in BackgroundJob.allCases where job.runs(on: server.app.qoltanba.database) {
                try await job.round(server.app)
            }
            let writes = try await DatabaseWrites.install(on: server.app)
            // when / then
            for job in BackgroundJob.allCases where job.runs(on: server.app.qoltanba.database) {
                let made = try await writes.during { try await job.round(server.app) }
                #expect(made.isEmpty, "\(job.rawValue) wrote \(made)")
            }
        }
    }
}
