import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import Vapor
import VaporTestUtils

/// Two races closed at the database: one current certificate per IIN, and a session's webhook
/// events in the order the database numbered them.
@Suite("Races closed at the database")
struct RaceTests: WebhookTesting {
    static let citizen = (iin: "871008401427", phone: "77011234567")

    /// A first-time signer's session, at the password-otp step with the code of `password` sent.
    func atPasswordCode(_ server: TestServer, password: String) async throws -> Browser {
        let session = try await server.createSession(iin: Self.citizen.iin, phone: Self.citizen.phone)
        #expect(try await server.uploadBase64(session: session.apiString, name: "a", file: Samples.pdf).status == .ok)
        var browser = Browser(server, session: session)
        try await browser.open()
        try await browser.passBiometrics()
        try #require(try await browser.step() == "password-create")
        _ = try await browser.post("password", ["password": password, "password_confirm": password])
        return browser
    }

    func currentCertificates(_ server: TestServer) async throws -> [SignerCertificateRecord] {
        try await server.app.stores.certificates.current(iin: try IIN(Self.citizen.iin))
    }

    @Test("two first-time flows of one citizen: one certificate; the flow that lost enters its password as a returning signer's")
    func twoFirstTimeFlows() async throws {
        try await TestServer.with { server in
            // given: both flows chose a password before either got a certificate
            var first = try await atPasswordCode(server, password: "first password")
            let firstCode = try await first.newestCode()
            var second = try await atPasswordCode(server, password: "second password")
            let secondCode = try await second.newestCode()

            // when: the first confirms its code and gets the certificate, then the second
            _ = try await first.post("code", ["otp": firstCode])
            #expect(try await first.step() == "certificate")
            _ = try await second.post("code", ["otp": secondCode])

            // then: one current certificate; the second flow asks for its password
            #expect(try await currentCertificates(server).count == 1)
            #expect(try await SignerCertificateModel.query(on: server.app.db).count() == 1)
            #expect(try await second.step() == "password")
            _ = try await second.post("password", ["password": "second password"])
            #expect(try await second.step() == "password", "the lost certificate's password opened the winner's key")
            _ = try await second.post("password", ["password": "first password"])
            #expect(try await second.step() == "certificate")
            _ = try await second.post("certificate")
            _ = try await second.post("code", ["otp": try await second.newestCode()])
            #expect(try await SigningSessionModel.find(second.session, on: server.app.db)?.status == "FINISHED")
            _ = try await first.post("certificate")
            _ = try await first.post("code", ["otp": try await first.newestCode()])
            #expect(try await SigningSessionModel.find(first.session, on: server.app.db)?.status == "FINISHED")
            #expect(try await SignerCertificateModel.query(on: server.app.db).count() == 1)
        }
    }

    @Test("issuing at once for one IIN stores one current certificate; the others are told so")
    func concurrentIssuance() async throws {
        try await TestServer.with { server in
            let identity = SignerIdentity(iin: try IIN(Self.citizen.iin), name: PersonName(surname: "A", givenName: "B", patronymic: ""))
            let (pki, store) = (server.app.pki, server.app.stores.certificates)
            let issued = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 { group.addTask { try await pki.issue(for: identity, password: "a password", in: store) != nil } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(issued == 1)
            #expect(try await currentCertificates(server).count == 1)
            #expect(try await SignerCertificateModel.query(on: server.app.db).count() == 1)
        }
    }

    @Test("migration 013 keeps the newest of duplicate current certificates and supersedes the rest; the index refuses another")
    func migrationSupersedes() async throws {
        try await TestServer.with { server in
            // given: the state before the migration, with two unrevoked certificates of one IIN
            let identity = SignerIdentity(iin: try IIN(Self.citizen.iin), name: PersonName(surname: "A", givenName: "B", patronymic: ""))
            let issued = try #require(try await server.app.pki.issue(for: identity, password: "p", in: server.app.stores.certificates))
            let older = try #require(try await SignerCertificateModel.find(issued.id, on: server.app.db))
            let newer = SignerCertificateModel()
            (newer.iin, newer.serial, newer.certificate, newer.algorithm, newer.sealedKey) = (older.iin, "0A", older.certificate, older.algorithm, older.sealedKey)
            (newer.notBefore, newer.notAfter) = (older.notBefore, older.notAfter)
            // (One connection: SQLite's other connections may not see a column dropped meanwhile.)
            try await server.app.db.withConnection { connection in
                try await OneCurrentCertificate().revert(on: connection)
                try await Task.sleep(for: .milliseconds(10))
                try await newer.create(on: connection)
                // when
                try await OneCurrentCertificate().prepare(on: connection)
            }
            // then
            #expect(try await currentCertificates(server).map(\.id) == [newer.id])
            let duplicate = SignerCertificateModel()
            (duplicate.iin, duplicate.serial, duplicate.certificate, duplicate.algorithm, duplicate.sealedKey) = (older.iin, "0B", older.certificate, older.algorithm, older.sealedKey)
            (duplicate.notBefore, duplicate.notAfter) = (older.notBefore, older.notAfter)
            await #expect(throws: (any Error).self) { try await duplicate.create(on: server.app.db) }
        }
    }

    @Test("a session's events go out in the order stored, whatever the clocks of the two instances that wrote them")
    func eventsInStoredOrder() async throws {
        try await withWebhook { server, receiver in
            // given: a second instance on the same database, whose clock is a minute behind
            let second = try await Application.make(.testing)
            do {
                try await configure(second, with: server.app.qoltanba)
                try await second.prepareDatabase()
                let id = try await server.createSession()
                let session = try #require(try await server.app.stores.sessions.stored(id))
                let now = Date()
                // when: the first instance records the open, then the second the cancel
                try await server.app.stores.sessions.record(session, from: .started, to: .process, at: now)
                let opened = try #require(try await second.stores.sessions.stored(id))
                try await second.stores.sessions.record(opened, from: .process, to: .canceled(FailureReason(.liveness)), at: now.addingTimeInterval(-60))
                try await deliverAll(server.app)
            } catch {
                try await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
            // then
            #expect(receiver.deliveries.map { $0.json["event"] as? String } == ["session.process", "session.canceled"])
        }
    }
}
