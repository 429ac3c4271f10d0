import Fluent
import FluentKit
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("POST /api/v1/session/create/")
struct SessionCreateTests {
    @Test("creates a session for a registry pair, with and without the trailing slash")
    func creates() async throws {
        try await TestServer.with { server in
            for path in ["/api/v1/session/create/", "/api/v1/session/create"] {
                let response = try await server.postJSON(
                    path, #"{"iin":"871008401427","phone":"77011234567","document_type":"pdf"}"#)
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(Set(json.keys) == ["session_id", "created_at", "check_id"])
                let id = try #require(UUID(uuidString: json["session_id"] as? String ?? ""))
                #expect(UUID(uuidString: json["check_id"] as? String ?? "") != nil)
                // Ids are written in lower case, as the API reference shows them.
                #expect(json["session_id"] as? String == id.uuidString.lowercased())
                #expect((json["check_id"] as? String)?.lowercased() == json["check_id"] as? String)
                #expect((json["created_at"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
                let stored = try #require(try await SigningSessionModel.find(id, on: server.app.db))
                #expect(stored.status == "STARTED")
                #expect(stored.documentType == "pdf")
                #expect(stored.$organization.id == server.organizationID)
            }
        }
    }

    @Test("document_type: default pdf; .xml and XML are xml")
    func documentTypes() async throws {
        try await TestServer.with { server in
            let defaulted = try await server.postJSON("/api/v1/session/create/", #"{"iin":"760212350620","phone":"77021234567"}"#)
            let id = try #require(UUID(uuidString: try defaulted.json()["session_id"] as? String ?? ""))
            #expect(try await SigningSessionModel.find(id, on: server.app.db)?.documentType == "pdf")
            for spelling in [".xml", "XML"] {
                let session = try await server.createSession(type: spelling)
                #expect(try await SigningSessionModel.find(session, on: server.app.db)?.documentType == "xml")
            }
        }
    }

    @Test("metadata is kept with the session")
    func metadata() async throws {
        try await TestServer.with { server in
            let response = try await server.postJSON(
                "/api/v1/session/create/",
                #"{"iin":"871008401427","phone":"77011234567","metadata":{"order":42,"tags":["a","б"],"nested":{"ok":true}}}"#)
            #expect(response.status == .ok)
            let id = try #require(UUID(uuidString: try response.json()["session_id"] as? String ?? ""))
            let stored = try #require(try await SigningSessionModel.find(id, on: server.app.db)?.metadata)
            let decoded = try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any]
            #expect(decoded?["order"] as? Int == 42)
            #expect(decoded?["tags"] as? [String] == ["a", "б"])
        }
    }

    @Test("each invalid field is a 400 naming it, and nothing is stored", arguments: [
        (#"{"phone":"77011234567"}"#, "iin: this field is required"),
        (#"{"iin":"871008401427"}"#, "phone: this field is required"),
        (#"{"iin":"871008401428","phone":"77011234567"}"#, "iin: the control digit does not match, the IIN is mistyped"),
        (#"{"iin":"87100840142","phone":"77011234567"}"#, "iin: must be exactly 12 digits"),
        (#"{"iin":871008401427,"phone":"77011234567"}"#, "iin: expected a string"),
        (#"{"iin":"871008401427","phone":"87011234567"}"#, "phone: must be 77 followed by 9 digits, e.g. 77011234567"),
        (#"{"iin":"871008401427","phone":"77011234567","document_type":"docx"}"#, "document_type: must be pdf or xml (also .pdf or .xml)"),
        (#"{"iin":"871008401427","phone":"77011234567","metadata":[1,2]}"#, "metadata: must be a JSON object"),
        (#"{"iin":"871008401427","phone":"77011234567","metadata":"x"}"#, "metadata: must be a JSON object"),
        (#"not json"#, "body: not a valid JSON object"),
        (#""#, "body: a JSON object is required"),
    ])
    func invalid(_ body: String, _ detail: String) async throws {
        try await TestServer.with { server in
            let response = try await server.postJSON("/api/v1/session/create/", body)
            #expect(response.status == .badRequest)
            #expect(response.detail == detail)
            #expect(try await SigningSessionModel.query(on: server.app.db).count() == 0)
        }
    }

    @Test("an IIN and phone that are not a registry pair: 404 Subject not found in MCDB")
    func subjectNotFound() async throws {
        try await TestServer.with { server in
            for body in [
                #"{"iin":"871008401427","phone":"77021234567"}"#,  // someone else's phone
                #"{"iin":"900101300811","phone":"77011234567"}"#,  // valid IIN not in the registry
            ] {
                let response = try await server.postJSON("/api/v1/session/create/", body)
                #expect(response.status == .notFound)
                #expect(response.detail == "Subject not found in MCDB")
            }
        }
    }

    @Test("every test citizen of the data file is seeded with its outcome")
    func testCitizens() async throws {
        try await TestServer.with { server in
            let citizens = try await CitizenModel.query(on: server.app.db).all()
            let outcomes = Dictionary(uniqueKeysWithValues: citizens.map { ("\($0.iin) \($0.phone)", $0.sandboxOutcome) })
            #expect(outcomes == [
                "871008401427 77011234567": "success", "760212350620 77021234567": "success",
                "800416300257 77051234567": "lv", "900101300007 77071234567": "f2f",
                "850515400002 77761234567": "lv-unavailable", "000229500008 77771234567": "request",
            ])
            let kazakhLetters = CharacterSet(charactersIn: "ӘәҒғҚқҢңӨөҰұҮүҺһІі")
            #expect(citizens.allSatisfy { $0.citizen != nil })
            #expect(citizens.allSatisfy {
                ($0.surname + $0.givenName + $0.patronymic).unicodeScalars.contains(where: kazakhLetters.contains)
            })
            for citizen in citizens {
                _ = try await server.createSession(iin: citizen.iin, phone: citizen.phone)
            }
        }
    }
}

@Suite("API keys")
struct APIKeyTests {
    @Test("a missing, unknown or revoked key is 404 organization api-key not found")
    func refusedKeys() async throws {
        try await TestServer.with { server in
            let store = OrganizationStore(database: server.app.db)
            let organization = try await store.organization(idOrName: "First bank")
            let (model, secret) = try await store.createAPIKey(for: organization.id, label: "to revoke").pair
            _ = try await server.createSession(key: secret.value)
            #expect(try await store.revokeAPIKey(id: model.id.uuidString))
            #expect(try await store.revokeAPIKey(id: model.id.uuidString) == false)
            // As this instance's cabinet does on a revocation (another instance's takes up to 2 s: RateLimitTests).
            server.app.apiKeyCache.forgetAll()

            for key in ["", "qk_unknown", secret.value] {
                for (method, path) in [(HTTPMethod.POST, "/api/v1/session/create/"), (.GET, "/api/v1/session/status/?session_id=x"),
                                       (.GET, "/api/v1/session/result?session_id=x"),
                                       (.POST, "/api/v1/session/documents/upload/base64")] {
                    let response = try await server.send(method, path, key: key)
                    #expect(response.status == .notFound, "\(path) with '\(key.prefix(6))'")
                    #expect(response.detail == "organization api-key not found")
                }
            }
        }
    }

    @Test("keys are stored only as hashes, and use is recorded")
    func storedAsHashes() async throws {
        try await TestServer.with { server in
            _ = try await server.createSession()
            try await server.app.apiKeyUse.flush(to: server.app.stores.organizations)
            let keys = try await APIKeyModel.query(on: server.app.db).all()
            #expect(!keys.contains { $0.secretHash == server.key || $0.prefix == server.key })
            let used = try #require(keys.first { $0.secretHash == APIKeySecret(server.key).hash })
            #expect(used.lastUsedAt != nil)
            #expect(server.key.hasPrefix(used.prefix))
        }
    }
}
