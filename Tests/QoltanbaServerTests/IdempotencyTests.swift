import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing
import VaporTesting

@Suite("Idempotency-Key")
struct IdempotencyTests {
    let createPath = "/api/v1/session/create/"

    func create(_ server: TestServer, _ json: String, idempotencyKey: String?, key: String? = nil) async throws -> TestingHTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        return try await server.send(.POST, createPath, key: key, headers: headers, body: ByteBuffer(string: json))
    }

    func sessionCount(_ server: TestServer) async throws -> Int {
        try await SigningSessionModel.query(on: server.app.db).count()
    }

    @Test("a retry of create with the same key and the same fields (in any order) gets the first answer and creates nothing")
    func createReplay() async throws {
        try await TestServer.with { server in
            let first = try await create(server, #"{"iin":"871008401427","phone":"77011234567"}"#, idempotencyKey: "order-17")
            #expect(first.status == .ok && first.headers.first(name: "Idempotent-Replayed") == nil)
            let again = try await create(server, #"{ "phone": "77011234567", "iin": "871008401427" }"#, idempotencyKey: "order-17")
            #expect(again.status == .ok && again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(again.body.string == first.body.string)
            #expect(again.headers.contentType == .json)
            #expect(try await sessionCount(server) == 1)
            // Without a key, or with another, each request creates.
            _ = try await create(server, #"{"iin":"871008401427","phone":"77011234567"}"#, idempotencyKey: nil)
            _ = try await create(server, #"{"iin":"871008401427","phone":"77011234567"}"#, idempotencyKey: "order-18")
            #expect(try await sessionCount(server) == 3)
        }
    }

    @Test("the same key with another request is a 422; keys belong to the organization")
    func mismatch() async throws {
        try await TestServer.with { server in
            _ = try await create(server, #"{"iin":"871008401427","phone":"77011234567"}"#, idempotencyKey: "k-1")
            let other = try await create(server, #"{"iin":"871008401427","phone":"77011234567","document_type":"xml"}"#, idempotencyKey: "k-1")
            #expect(other.status == .unprocessableEntity)
            #expect(other.detail == "Idempotency-Key: this key was used with a different request")
            let elsewhere = try await create(
                server, #"{"iin":"871008401427","phone":"77011234567","document_type":"xml"}"#, idempotencyKey: "k-1", key: server.otherKey)
            #expect(elsewhere.status == .ok && elsewhere.headers.first(name: "Idempotent-Replayed") == nil)
            #expect(try await sessionCount(server) == 2)
        }
    }

    @Test("a retry while the first request still runs is a 409; an abandoned claim lapses")
    func running() async throws {
        try await TestServer.with { server in
            let json = #"{"iin":"871008401427","phone":"77011234567"}"#
            let fingerprint = Idempotency.jsonFingerprint(path: createPath, json: Data(json.utf8))
            let store = server.app.stores.idempotency
            let claim = try await store.claim(
                organizationID: server.organizationID, key: "busy", fingerprint: fingerprint, now: Date(),
                lifetime: Idempotency.lifetime, stale: Idempotency.stale)
            guard case .claimed = claim else { Issue.record("not claimed: \(claim)"); return }
            let busy = try await create(server, json, idempotencyKey: "busy")
            #expect(busy.status == .conflict && busy.detail?.contains("still running") == true)
            #expect(try await sessionCount(server) == 0)
            // Six minutes later the claim is taken as abandoned, and the request runs.
            let lapsed = try await store.claim(
                organizationID: server.organizationID, key: "busy", fingerprint: fingerprint,
                now: Date().addingTimeInterval(Idempotency.stale + 60), lifetime: Idempotency.lifetime, stale: Idempotency.stale)
            guard case .claimed = lapsed else { Issue.record("not claimed again: \(lapsed)"); return }
            // Answers past their lifetime are purged.
            try await store.answer(organizationID: server.organizationID, key: "busy", with: .init(status: 200, contentType: nil, body: Data()))
            try await store.forget(before: Date().addingTimeInterval(Idempotency.stale + 61))
            let fresh = try await store.claim(
                organizationID: server.organizationID, key: "busy", fingerprint: "another request", now: Date(),
                lifetime: Idempotency.lifetime, stale: Idempotency.stale)
            guard case .claimed = fresh else { Issue.record("a purged key was not free: \(fresh)"); return }
        }
    }

    @Test("an error answer is kept and replayed too; a malformed key is a 400")
    func errorsAndKeys() async throws {
        try await TestServer.with { server in
            let bad = try await create(server, #"{"iin":"123","phone":"77011234567"}"#, idempotencyKey: "bad-iin")
            #expect(bad.status == .badRequest)
            let again = try await create(server, #"{"iin":"123","phone":"77011234567"}"#, idempotencyKey: "bad-iin")
            #expect(again.status == .badRequest && again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(again.detail == bad.detail)
            for key in [String(repeating: "k", count: 256), "ключ", "two words"] {
                let refused = try await create(server, #"{"iin":"871008401427","phone":"77011234567"}"#, idempotencyKey: key)
                #expect(refused.status == .badRequest && refused.detail == "Idempotency-Key: must be 1 to 255 visible ASCII characters")
            }
            #expect(try await sessionCount(server) == 0)
        }
    }

    @Test("uploads: a multipart retry with another boundary, and a base64 retry, store the document once")
    func uploads() async throws {
        try await TestServer.with { server in
            let session = try await server.createSession()
            func multipart(_ boundary: String) -> ByteBuffer {
                var body = ByteBuffer()
                for (field, value) in [("session_id", Array(session.apiString.utf8)), ("name", Array("a.pdf".utf8)), ("file", Samples.pdf)] {
                    body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(field)\"\r\n\r\n")
                    body.writeBytes(value)
                    body.writeString("\r\n")
                }
                body.writeString("--\(boundary)--\r\n")
                return body
            }
            var answers: [TestingHTTPResponse] = []
            for boundary in ["first-boundary", "second-boundary"] {
                answers.append(try await server.send(
                    .POST, "/api/v1/session/documents/upload/",
                    headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)", "Idempotency-Key": "doc-1"],
                    body: multipart(boundary)))
            }
            #expect(answers.map(\.status) == [.ok, .ok])
            #expect(answers[1].headers.first(name: "Idempotent-Replayed") == "true" && answers[1].body.string == answers[0].body.string)
            #expect(try await server.documentCount() == 1)

            let json = #"{"session_id":"\#(session.apiString)","name":"b.pdf","base64_file":"\#(Data(Samples.pdf).base64EncodedString())"}"#
            for _ in 0..<2 {
                let answer = try await server.send(
                    .POST, "/api/v1/session/documents/upload/base64/",
                    headers: ["Content-Type": "application/json", "Idempotency-Key": "doc-2"], body: ByteBuffer(string: json))
                #expect(answer.status == .ok)
            }
            #expect(try await server.documentCount() == 2)
        }
    }
}
