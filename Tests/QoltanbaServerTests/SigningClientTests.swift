import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import VaporTesting

@Suite("Signing client")
struct SigningClientTests {
    static let redirect = "https://bank.example.kz/back?order=17"

    func status(_ server: TestServer, _ session: UUID) async throws -> [String: Any] {
        try await server.send(.GET, "/api/v1/session/status/?session_id=\(session.apiString)").json()
    }

    func newSession(_ server: TestServer, iin: String = "871008401427", phone: String = "77011234567", documents: Int = 1)
        async throws -> UUID
    {
        let session = try await server.createSession(iin: iin, phone: phone)
        for index in 0..<documents {
            let upload = try await server.uploadBase64(session: session.apiString, name: "contract-\(index).pdf", file: Samples.pdf)
            try #require(upload.status == .ok)
        }
        return session
    }

    @Test("a first-time signer signs two documents; the CMS verifies and names them; a returning signer enters the password")
    func firstTimeThenReturning() async throws {
        try await TestServer.with { server in
            let session = try await newSession(server, documents: 2)
            var browser = Browser(server, session: session)
            let opened = try await browser.open("&redirect_url=\(Self.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(opened.status == .ok)
            let cookie = try #require(opened.headers.first(name: .setCookie))
            #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"))
            #expect(try await status(server, session)["status"] as? String == "PROCESS")
            #expect(try await browser.step() == "documents")

            try await browser.passBiometrics()
            #expect(try await browser.step() == "password-create")
            let short = try await browser.post("password", ["password": "short", "password_confirm": "short"])
            #expect(short.headers.first(name: .location)?.hasSuffix("notice=password-short") == true)
            let mismatch = try await browser.post("password", ["password": "correct horse", "password_confirm": "correct house"])
            #expect(mismatch.headers.first(name: .location)?.hasSuffix("notice=password-mismatch") == true)
            #expect(try await browser.post("password", ["password": "correct horse", "password_confirm": "correct horse"]).status == .seeOther)
            #expect(try await browser.step() == "password-otp")

            // The code is kept only as a keyed hash; the password only sealed.
            let code = try await browser.newestCode()
            let flow = try #require(try await SigningFlowModel.find(session, on: server.app.db))
            #expect(flow.codeHash != nil && flow.codeHash?.contains(code) == false)
            let activation = try #require(flow.activation)
            #expect(!String(decoding: activation, as: UTF8.self).contains("correct horse"))

            #expect(try await browser.post("code", ["otp": code]).status == .seeOther)
            let certificatePage = try await browser.open().body.string
            #expect(certificatePage.contains(#"data-step="certificate""#))
            #expect(certificatePage.contains("НҰРЛАНОВА ӘСЕЛ"))
            #expect(try await browser.post("certificate").status == .seeOther)
            #expect(try await browser.step() == "sign")
            let done = try await browser.post("code", ["otp": try await browser.newestCode()])
            #expect(done.headers.first(name: .location) == Self.redirect + "&status=true&reason=None")

            #expect(try await status(server, session)["status"] as? String == "FINISHED")
            let result = try await server.send(.GET, "/api/v1/session/result/?session_id=\(session.apiString)").json()
            let docs = try #require(result["docs"] as? [[String: Any]])
            #expect(docs.count == 2)
            let verifier = try await server.app.pki.verifier(in: server.app.stores.certificates)
            for doc in docs {
                let cms = try #require(Data(base64Encoded: doc["sign"] as? String ?? ""))
                let report = try await verifier.verify(Array(cms))
                #expect(report.indication == .totalPassed)
                #expect(report.signers.first?.iin == "871008401427")
            }
            // Secrets are gone once the session has ended.
            let ended = try #require(try await SigningFlowModel.find(session, on: server.app.db))
            #expect(ended.activation == nil && ended.codeHash == nil && ended.faceFrame == nil)

            // The same citizen again: the password step, and the certificate is reused.
            let again = try await newSession(server)
            var returning = Browser(server, session: again)
            try await returning.open()
            try await returning.passBiometrics()
            #expect(try await returning.step() == "password")
            let wrong = try await returning.post("password", ["password": "not my password"])
            #expect(wrong.headers.first(name: .location)?.hasSuffix("notice=password-wrong") == true)
            #expect(try await returning.open("&notice=password-wrong").body.string.contains("data-error"))
            #expect(try await returning.post("password", ["password": "correct horse"]).status == .seeOther)
            #expect(try await returning.step() == "certificate")
            #expect(try await SignerCertificateModel.query(on: server.app.db).count() == 1)
            #expect(try await returning.post("certificate").status == .seeOther)
            let finished = try await returning.post("code", ["otp": try await returning.newestCode()])
            #expect(finished.headers.first(name: .location) == "/sign/outcome?session=\(again.apiString)")
            #expect(try await returning.open().status == .ok)  // the bound browser sees the outcome
            let outcome = try await server.send(
                .GET, "/sign/outcome?session=\(again.apiString)", key: "", headers: ["Cookie": returning.cookie ?? ""])
            #expect(outcome.body.string.contains(#"data-step="done""#))
        }
    }

    @Test("each failing test citizen ends at redirect_url with its reason, and the status shows the mapped type",
          arguments: [
              ("800416300257", "77051234567", "lv", "LIVENESS"),
              ("900101300007", "77071234567", "f2f", "FACE2FACE"),
              ("850515400002", "77761234567", "lv-unavailable", "LIVENESS"),
              ("000229500008", "77771234567", "request", "EDOCUMENT"),
          ])
    func failingCitizens(iin: String, phone: String, reason: String, type: String) async throws {
        try await TestServer.with { server in
            let session = try await newSession(server, iin: iin, phone: phone)
            var browser = Browser(server, session: session)
            try await browser.open("&redirect_url=https%3A%2F%2Fbank.example.kz%2Fback")
            _ = try await browser.post("documents")
            var last = try await browser.sendFrames()
            if reason != "lv" && reason != "lv-unavailable" {
                last = try await browser.postJSON("face-match")
            }
            if reason == "request" {
                _ = try await browser.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
                last = try await browser.postJSON("code", #"{"otp":"\#(try await browser.newestCode())"}"#)
            }
            #expect(try last.json()["next"] as? String == "https://bank.example.kz/back?status=false&reason=\(reason)")
            let canceled = try await status(server, session)
            #expect(canceled["status"] as? String == "CANCELED")
            #expect((canceled["failure_reason"] as? [String: Any])?["type"] as? String == type)
            #expect(try await browser.step() == nil)  // the ended flow goes back to redirect_url
            // The session's log (its timeline in the cabinet) names the step that failed, after the ones that passed.
            let log = try await SessionLogModel.query(on: server.app.db).filter(\.$sessionID == session).sort(\.$at).all()
            let steps = log.filter { $0.event != "status" }.map { "\($0.event) \($0.step ?? "")" }
            let failed = ["lv": "liveness", "lv-unavailable": "liveness", "f2f": "face-match", "request": "certificate"][reason] ?? ""
            let passedLast = ["lv": "documents", "lv-unavailable": "documents", "f2f": "liveness", "request": "password-otp"][reason] ?? ""
            #expect(steps.suffix(2) == ["step-passed \(passedLast)", "step-failed \(failed)"], "\(steps)")
        }
    }

    @Test("frames that are not images end with video; refusing the camera with closed; three wrong codes with password-otp")
    func clientFailures() async throws {
        try await TestServer.with { server in
            var video = Browser(server, session: try await newSession(server))
            try await video.open()
            _ = try await video.post("documents")
            let garbage = Data("not a picture".utf8).base64EncodedString()
            let answer = try await video.postJSON("liveness", #"{"frames":["\#(garbage)"]}"#)
            #expect(try answer.json()["next"] as? String == "/sign/outcome?session=\(video.session.apiString)")
            #expect(try await video.step() == "failed")
            #expect(try await video.open().body.string.contains(#"data-reason="video""#))

            var closed = Browser(server, session: try await newSession(server))
            try await closed.open()
            _ = try await closed.post("documents")
            _ = try await closed.postJSON("closed")
            let closedStatus = try await status(server, closed.session)
            #expect((closedStatus["failure_reason"] as? [String: Any])?["type"] as? String == "LIVENESS")

            var codes = Browser(server, session: try await newSession(server))
            try await codes.open("&redirect_url=https%3A%2F%2Fbank.example.kz%2F")
            try await codes.passBiometrics()
            _ = try await codes.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
            let right = try await codes.newestCode()
            let wrong = right == "000000" ? "111111" : "000000"
            #expect(try await codes.post("code", ["otp": wrong]).headers.first(name: .location)?.hasSuffix("notice=code-wrong") == true)
            #expect(try await codes.post("code", ["otp": wrong]).headers.first(name: .location)?.hasSuffix("notice=code-wrong") == true)
            let third = try await codes.post("code", ["otp": wrong])
            #expect(third.headers.first(name: .location) == "https://bank.example.kz/?status=false&reason=password-otp")
            let ended = try await status(server, codes.session)
            #expect((ended["failure_reason"] as? [String: Any])?["type"] as? String == "OTHER")
        }
    }

    @Test("a second browser, an unknown session and an expired one end with refresh; the first browser goes on")
    func refresh() async throws {
        try await TestServer.with { server in
            let session = try await newSession(server)
            var first = Browser(server, session: session)
            try await first.open()
            var second = Browser(server, session: session)
            // Another browser sees a page, never a redirect to a URL of its own choosing.
            let refused = try await second.open("&redirect_url=https%3A%2F%2Fany.example%2F")
            #expect(refused.status == .notFound)
            #expect(refused.headers.first(name: .location) == nil)
            #expect(refused.body.string.contains("data-step=\"failed\""))
            #expect(try await second.postJSON("documents").detail == "Session not found")
            #expect(try await first.post("documents").status == .seeOther)
            #expect(try await first.step() == "liveness")
            #expect(try await status(server, session)["status"] as? String == "PROCESS")

            var unknown = Browser(server, session: UUID())
            #expect(try await unknown.step() == "failed")
            // A session without documents is not opened: it stays STARTED for its uploads.
            let empty = try await newSession(server, documents: 0)
            var early = Browser(server, session: empty)
            #expect(try await early.step() == "failed")
            #expect(try await status(server, empty)["status"] as? String == "STARTED")

            // Its time to live runs out.
            let stored = try #require(try await SigningSessionModel.find(session, on: server.app.db))
            stored.expiresAt = Date().addingTimeInterval(-1)
            try await stored.save(on: server.app.db)
            #expect(try await first.step() == "failed")
            #expect(try await first.open().body.string.contains(#"data-reason="refresh""#))
            let expired = try await status(server, session)
            #expect((expired["failure_reason"] as? [String: Any])?["type"] as? String == "EXPIRED")
        }
    }

    @Test("JSON requests for a step the flow is not at get the API reference's texts")
    func wrongSteps() async throws {
        try await TestServer.with { server in
            var browser = Browser(server, session: try await newSession(server))
            try await browser.open()
            for (action, detail) in [("liveness", "Liveness session not found"), ("face-match", "F2F session not found"),
                                     ("certificate", "Certificate not found"), ("code", "Session not found")] {
                let response = try await browser.postJSON(action)
                #expect(response.status == .notFound)
                #expect(response.detail == detail)
            }
            // A form post at the wrong step just shows the current one.
            #expect(try await browser.post("certificate").headers.first(name: .location) == "/sign?session=\(browser.session.apiString)")
            #expect(try await browser.step() == "documents")
        }
    }

    @Test("language from the link (kz is Kazakh), else Accept-Language, else Russian; theme 1 is dark; no inline script")
    func languagesAndLook() async throws {
        try await TestServer.with { server in
            for (query, accept, language, heading) in [
                ("&language=kz&theme=1", "", "kk", "Қол қоюға арналған құжаттар"), ("&language=en", "ru", "en", "Documents to sign"),
                ("", "en-GB,en;q=0.9", "en", "Documents to sign"), ("&language=xx", "de", "ru", "Документы на подпись"),
            ] {
                var browser = Browser(server, session: try await newSession(server))
                let page = try await browser.open(query, headers: accept.isEmpty ? [:] : ["Accept-Language": accept])
                let html = page.body.string
                #expect(html.contains(#"<html lang="\#(language)""#), "\(query) \(accept)")
                #expect(html.contains(heading), "\(language)")
                #expect(html.contains(query.contains("theme=1") ? #"class="dark""# : #"class="light""#))
                #expect(!html.contains("<script>") && !html.contains("onclick") && !html.contains("style="))
                let policy = try #require(page.headers.first(name: "Content-Security-Policy"))
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            }
            for asset in ["client.js", "client.css"] {
                #expect(try await server.send(.GET, "/sign/assets/\(asset)", key: "").status == .ok)
            }
            let bad = try await server.send(.GET, "/sign?session=\(UUID().apiString)&redirect_url=javascript:alert(1)", key: "")
            #expect(bad.status == .badRequest)
        }
    }

    @Test("the bound browser may read the documents; another may not")
    func documentPreview() async throws {
        try await TestServer.with { server in
            var browser = Browser(server, session: try await newSession(server))
            let page = try await browser.open().body.string
            let link = try #require(page.firstMatch(of: /href="(\/sign\/[^"]+\/documents\/[^"]+)"/)).1
            let file = try await server.send(.GET, String(link), key: "", headers: ["Cookie": browser.cookie ?? ""])
            #expect(file.status == .ok && file.headers.contentType == .pdf)
            #expect(Array(file.body.readableBytesView) == Samples.pdf)
            #expect(try await server.send(.GET, String(link), key: "").status == .notFound)
        }
    }

    @Test("the sandbox SMS inbox lists codes newest first; production has none")
    func inbox() async throws {
        try await TestServer.with { server in
            var browser = Browser(server, session: try await newSession(server))
            try await browser.open()
            try await browser.passBiometrics()
            _ = try await browser.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
            _ = try await browser.post("resend")
            let messages = try JSONSerialization.jsonObject(
                with: Data(try await server.send(.GET, "/sandbox/sms.json?phone=77011234567", key: "").body.readableBytesView))
            let list = try #require(messages as? [[String: String]])
            #expect(list.count == 2)
            #expect(list[0]["code"] == (try await browser.newestCode()))
            #expect(list[0]["to"] == "77011234567" && list[0]["text"]?.contains(list[0]["code"] ?? "-") == true)
            #expect(try await server.send(.GET, "/sandbox/sms.json?phone=77021234567", key: "").body.string == "[]")
            #expect(try await server.send(.GET, "/sandbox/sms", key: "").body.string.contains(list[0]["code"] ?? "-"))
        }
        let production = [
            "QOLTANBA_MODE": "production", "QOLTANBA_MASTER_KEY": TestServer.randomMasterKey(),
            "QOLTANBA_REGISTRY_URL": "http://127.0.0.1:9/registry", "QOLTANBA_LIVENESS_URL": "http://127.0.0.1:9/liveness",
            "QOLTANBA_FACE_MATCH_URL": "http://127.0.0.1:9/face", "QOLTANBA_SMS_URL": "http://127.0.0.1:9/sms",
        ].merging(["REGISTRY", "LIVENESS", "FACE_MATCH", "SMS"].map { ("QOLTANBA_\($0)_TOKEN", "token-of-the-closed-port-9") }) { $1 }
        try await TestServer.with(environment: production.merging(
            TestServer.usesPostgres ? [:] : ["QOLTANBA_DATABASE_URL": FileManager.default.temporaryDirectory.appendingPathComponent("p-\(UUID()).sqlite").path]
        ) { $1 }) { server in
            #expect(try await server.send(.GET, "/sandbox/sms", key: "").status == .notFound)
            #expect(try await server.send(.GET, "/sandbox/sms.json", key: "").status == .notFound)
            // The registry cannot be reached: a 503, not a 500.
            let create = try await server.postJSON("/api/v1/session/create/", #"{"iin":"871008401427","phone":"77011234567"}"#)
            #expect(create.status == .serviceUnavailable)
            #expect(create.detail == "Citizen registry (MCDB) is not available")
        }
    }

    @Test("parallel guesses of a code are counted one by one: no guess is lost, none goes uncounted")
    func parallelGuesses() async throws {
        try await TestServer.with { server in
            var browser = Browser(server, session: try await newSession(server))
            try await browser.open()
            try await browser.passBiometrics()
            _ = try await browser.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
            let wrong = try await browser.newestCode() == "000000" ? "111111" : "000000"
            let guesser = browser
            let locations = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await guesser.post("code", ["otp": wrong]).headers.first(name: .location) ?? "" }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let counted = locations.filter { $0.hasSuffix("notice=code-wrong") || $0.contains("outcome") }.count
            let flow = try #require(try await SigningFlowModel.find(browser.session, on: server.app.db))
            if flow.step == "failed" {
                #expect(flow.failure == "password-otp" && counted == 3)
            } else {
                #expect(flow.codeAttempts == counted && counted < 3)
            }
        }
    }

    @Test("an expired certificate is reissued; three wrong passwords end with password")
    func reissueAndPasswords() async throws {
        try await TestServer.with { server in
            var first = Browser(server, session: try await newSession(server))
            try await first.open()
            try await first.passBiometrics()
            _ = try await first.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
            _ = try await first.post("code", ["otp": try await first.newestCode()])
            let certificate = try #require(try await SignerCertificateModel.query(on: server.app.db).first())
            certificate.notAfter = Date().addingTimeInterval(-60)
            try await certificate.save(on: server.app.db)
            _ = try await first.post("certificate")

            var second = Browser(server, session: try await newSession(server))
            try await second.open()
            try await second.passBiometrics()
            _ = try await second.post("password", ["password": "correct horse"])
            let page = try await second.open().body.string
            #expect(page.contains(#"data-step="certificate""#))
            #expect(page.contains(ClientLanguage.ru.text(.certificateReissued)))
            let serials = try await SignerCertificateModel.query(on: server.app.db).all().map(\.serial)
            #expect(serials.count == 2)
            #expect(page.contains(serials.first { $0 != certificate.serial } ?? "-"))

            var third = Browser(server, session: try await newSession(server))
            try await third.open("&redirect_url=https%3A%2F%2Fbank.example.kz%2F")
            try await third.passBiometrics()
            for _ in 0..<2 { _ = try await third.post("password", ["password": "wrong horse"]) }
            let last = try await third.post("password", ["password": "wrong horse"])
            #expect(last.headers.first(name: .location) == "https://bank.example.kz/?status=false&reason=password")
        }
    }

    @Test("every text exists in Kazakh, Russian and English with the same placeholders; Kazakh uses its own letters")
    func texts() {
        for key in ClientText.allCases {
            let (kk, ru, en) = key.translations
            for text in [kk, ru, en] { #expect(!text.isEmpty, "\(key)") }
            let placeholders = { (text: String) in text.matches(of: /%\d/).map { String(text[$0.range]) }.sorted() }
            #expect(placeholders(kk) == placeholders(en) && placeholders(ru) == placeholders(en), "\(key)")
        }
        let kazakh = ClientText.allCases.map { $0.translations.kk }.joined()
        #expect(kazakh.contains { "әғқңөұүһі".contains($0) })
    }

    @Test("a signing that fails ends with sign-doc, not success; an unknown session never redirects anywhere")
    func signingFails() async throws {
        try await TestServer.with { server in
            var browser = Browser(server, session: try await newSession(server))
            try await browser.open("&redirect_url=https%3A%2F%2Fbank.example.kz%2F%3Fref%3Da%252Bb")
            try await browser.passBiometrics()
            _ = try await browser.post("password", ["password": "correct horse", "password_confirm": "correct horse"])
            _ = try await browser.post("code", ["otp": try await browser.newestCode()])
            _ = try await browser.post("certificate")
            // The file disappears before the signing.
            try await server.app.db.sql.raw("DELETE FROM document_file_parts").run()
            let answer = try await browser.post("code", ["otp": try await browser.newestCode()])
            #expect(answer.headers.first(name: .location) == "https://bank.example.kz/?ref=a%2Bb&status=false&reason=sign-doc")
            let canceled = try await status(server, browser.session)
            #expect(canceled["status"] as? String == "CANCELED")
            #expect((canceled["failure_reason"] as? [String: Any])?["type"] as? String == "OTHER")
            #expect(try await SigningFlowModel.find(browser.session, on: server.app.db)?.failure == "sign-doc")

            let stranger = try await server.send(.GET, "/sign?session=\(UUID().apiString)&redirect_url=https%3A%2F%2Fevil.example%2F", key: "")
            #expect(stranger.status == .notFound && stranger.headers.first(name: .location) == nil)
            #expect(stranger.body.string.contains(#"data-reason="refresh""#))
        }
    }
}
