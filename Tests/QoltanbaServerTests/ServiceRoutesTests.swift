import Fluent
import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import SQLKit
import Testing
import VaporTesting

@Suite("OpenAPI, health, CORS and errors")
struct ServiceRoutesTests {
    /// Without trailing slashes, and with OpenAPI's `{name}` written as the route table's `:name`.
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }.joined(separator: "/")
    }

    @Test("the OpenAPI document is 3.1, names this server's public URL, and lists exactly the routes the server has")
    func documentListsEveryRoute() async throws {
        try await TestServer.with(environment: ["QOLTANBA_PUBLIC_URL": "https://sign.example.kz/"]) { server in
            let response = try await server.send(.GET, "/swagger/openapi.json", key: "")
            #expect(response.status == .ok)
            let document = try response.json()
            #expect(document["openapi"] as? String == "3.1.0")
            #expect((document["servers"] as? [[String: String]])?.first?["url"] == "https://sign.example.kz")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(Self.normalized(path))") }
            }
            let served = Set(server.app.routes.all.map {
                "\($0.method.rawValue) \(Self.normalized($0.path.map(\.description).joined(separator: "/")))"
            })
            #expect(documented == served)
        }
    }

    @Test("/swagger renders every operation, without scripts")
    func page() async throws {
        try await TestServer.with { server in
            for path in ["/swagger", "/swagger/"] {
                let response = try await server.send(.GET, path, key: "")
                #expect(response.status == .ok)
                #expect(response.headers.contentType == .html)
                let html = response.body.string
                for route in ["/api/v1/session/create/", "/api/v1/session/documents/upload/",
                              "/api/v1/session/documents/upload/base64/", "/api/v1/session/result/",
                              "/api/v1/session/status/"] {
                    #expect(html.contains("<code>\(route)</code>"), "\(route)")
                }
                #expect(html.contains("organization api-key not found"))
                #expect(!html.contains("<script"))
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("default-src 'none'") == true)
            }
        }
    }

    @Test("health answers when the database does")
    func health() async throws {
        try await TestServer.with { server in
            let response = try await server.send(.GET, "/health", key: "")
            #expect(response.status == .ok)
            #expect(try response.json()["status"] as? String == "ok")
        }
    }

    @Test("an unknown route is a JSON 404, not a trace")
    func unknownRoute() async throws {
        try await TestServer.with { server in
            let response = try await server.send(.GET, "/api/v1/nothing/here")
            #expect(response.status == .notFound)
            #expect(response.detail == "Not Found")
        }
    }

    @Test("CORS: the sandbox answers any origin's preflight for x-api-key; a configured list only its origins")
    func cors() async throws {
        let preflight: HTTPHeaders = [
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        ]
        try await TestServer.with { server in
            let response = try await server.send(.OPTIONS, "/api/v1/session/create/", key: "", headers: preflight)
            #expect(response.headers.first(name: "Access-Control-Allow-Origin") == "*")
            #expect(response.headers.first(name: "Access-Control-Allow-Headers")?.lowercased().contains("x-api-key") == true)
        }
        try await TestServer.with(environment: ["QOLTANBA_CORS_ORIGINS": "https://bank.example, https://hr.example"]) { server in
            let allowed = try await server.send(
                .OPTIONS, "/api/v1/session/create/", key: "",
                headers: preflight.replacingOrAdding(name: "Origin", value: "https://hr.example"))
            #expect(allowed.headers.first(name: "Access-Control-Allow-Origin") == "https://hr.example")
            let other = try await server.send(.OPTIONS, "/api/v1/session/create/", key: "", headers: preflight)
            #expect(other.headers.first(name: "Access-Control-Allow-Origin") != "https://shop.example")
        }
    }
}

extension HTTPHeaders {
    func replacingOrAdding(name: String, value: String) -> HTTPHeaders {
        var copy = self
        copy.replaceOrAdd(name: name, value: value)
        return copy
    }
}

@Suite("Test database")
struct TestDatabaseTests {
    @Test("the suites run on the database make test asked for: PostgreSQL when QOLTANBA_TEST_DATABASE_URL is set")
    func dialect() async throws {
        try await TestServer.with { server in
            let dialect = (server.app.db as! any SQLDatabase).dialect.name
            #expect(dialect == (TestServer.usesPostgres ? "postgresql" : "sqlite"))
        }
    }
}
