import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Cabinet")
struct CabinetTests: CabinetTesting {
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
            try await server.app.apiKeyUse.flush(to: server.app.stores.organizations)
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
            #expect(try await server.app.stores.organizations.organization(server.organizationID)?.webhookURL == nil)

            let saved = try await browser.submit("/cabinet/organization", ["webhook_url": "http://127.0.0.1:9/hook"])
            let secret = try #require(saved.body.string.firstMatch(of: /data-secret="webhook">(whsec_[A-Za-z0-9_-]+)</).map { String($0.1) })
            var organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            #expect(organization.webhookURL == "http://127.0.0.1:9/hook")
            #expect(try WebhookSecrets.all(of: organization, sealer: server.app.sealer, now: Date()) == [secret])
            #expect(!(try await browser.get("/cabinet/organization")).body.string.contains(secret))
            // Saving the same URL again (a second click, a reloaded answer) keeps the secret.
            let again = try await browser.submit("/cabinet/organization", ["webhook_url": "http://127.0.0.1:9/hook"])
            #expect(again.status == .ok && again.body.string.contains("data-notice") && !again.body.string.contains("data-secret"))
            organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            #expect(try WebhookSecrets.all(of: organization, sealer: server.app.sealer, now: Date()) == [secret])

            let rotated = try await browser.submit("/cabinet/organization/rotate")
            let next = try #require(rotated.body.string.firstMatch(of: /data-secret="webhook">(whsec_[A-Za-z0-9_-]+)</).map { String($0.1) })
            organization = try #require(try await server.app.stores.organizations.organization(server.organizationID))
            #expect(next != secret)
            #expect(try WebhookSecrets.all(of: organization, sealer: server.app.sealer, now: Date()) == [next, secret])
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
            #expect(try await server.app.stores.organizations.organization(server.organizationID)?.redirectOrigins
                == ["https://bank.example.kz", "https://app.bank.example.kz:8443"])
            try await browser.submit("/cabinet/organization/redirects", ["redirect_origins": ""])
            #expect(try await server.app.stores.organizations.organization(server.organizationID)?.redirectOrigins == [])
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
                    .organization(idOrName: "Second telecom").id)
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
