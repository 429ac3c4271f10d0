import Foundation
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import QoltanbaTestSupport
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("sandbox defaults")
    func sandboxDefaults() throws {
        let configuration = try QoltanbaConfiguration(environment: [:])
        #expect(configuration.mode == .sandbox)
        #expect(configuration.database == .sqlite(path: "./data/qoltanba.sqlite"))
        #expect(configuration.publicURL == "http://127.0.0.1:8080")
        #expect(configuration.sessionTimeToLive == 1800)
        #expect(configuration.maximumUploadBytes == 30 * 1024)
        #expect(configuration.corsOrigins == ["*"])
    }

    @Test("production defaults and its required database")
    func production() throws {
        #expect(throws: QoltanbaConfiguration.Invalid.self) {
            try QoltanbaConfiguration(environment: ["QOLTANBA_MODE": "production"])
        }
        #expect(throws: QoltanbaConfiguration.Invalid.self) {
            try QoltanbaConfiguration(environment: [
                "QOLTANBA_MODE": "production", "QOLTANBA_DATABASE_URL": "postgres://u:p@db:5432/qoltanba",
            ])
        }
        var environment = [
            "QOLTANBA_MODE": "production", "QOLTANBA_DATABASE_URL": "postgres://u@db:5432/qoltanba",
            "QOLTANBA_MASTER_KEY": TestServer.randomMasterKey(),
        ]
        // Every provider but the E-Document service is required, each naming its variable, with its token.
        for name in ["REGISTRY", "LIVENESS", "FACE_MATCH", "SMS"] {
            #expect {
                try QoltanbaConfiguration(environment: environment)
            } throws: { error in
                "\(error)".contains("QOLTANBA_\(name)_URL is required in production mode")
            }
            environment["QOLTANBA_\(name)_URL"] = "https://\(name.lowercased()).example.kz/api"
        }
        for name in ["REGISTRY", "LIVENESS", "FACE_MATCH", "SMS"] {
            #expect {
                try QoltanbaConfiguration(environment: environment)
            } throws: { error in
                "\(error)".contains("QOLTANBA_\(name)_TOKEN is required in production mode")
            }
            environment["QOLTANBA_\(name)_TOKEN"] = "\(name.lowercased())-token-Zm9vYmFyYmF6"
        }
        environment["QOLTANBA_EDOCUMENT_URL"] = "https://edocument.example.kz/api"
        let configuration = try QoltanbaConfiguration(environment: environment)
        #expect(configuration.database == .postgres(url: "postgres://u@db:5432/qoltanba"))
        #expect(configuration.maximumUploadBytes == 20 * 1024 * 1024)
        #expect(configuration.corsOrigins.isEmpty)
        #expect(configuration.sms == .init(url: "https://sms.example.kz/api", token: "sms-token-Zm9vYmFyYmF6"))
        #expect(configuration.eDocument == .init(url: "https://edocument.example.kz/api", token: nil))
        #expect(configuration.providerTimeout == 10)
    }

    @Test("a bad value names its variable", arguments: [
        ("QOLTANBA_MODE", "staging"), ("QOLTANBA_SESSION_TTL_SECONDS", "0"), ("QOLTANBA_SESSION_TTL_SECONDS", "soon"),
        ("QOLTANBA_MAX_UPLOAD_BYTES", "-1"), ("QOLTANBA_MAX_UPLOAD_BYTES", "\(Int.max)"), ("QOLTANBA_PUBLIC_URL", "ftp://x"), ("QOLTANBA_DATABASE_URL", "mysql://x"),
        ("QOLTANBA_DATABASE_SCHEMA", "a;drop"), ("QOLTANBA_LOG_LEVEL", "loud"),
        ("QOLTANBA_LIVENESS_URL", "not a url"), ("QOLTANBA_PROVIDER_TIMEOUT_SECONDS", "0"),
        ("QOLTANBA_MASTER_KEY", "c2hvcnQ="), ("QOLTANBA_SIGNER_KEY_ALGORITHM", "gost"),
        ("QOLTANBA_CERTIFICATE_VALIDITY_DAYS", "0"), ("QOLTANBA_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("QOLTANBA_TRUSTED_PROXIES", "10.0.0.1, proxy.example.kz"), ("QOLTANBA_MAX_SESSION_DOCUMENTS", "0"),
        ("QOLTANBA_RENDER_TIMEOUT_SECONDS", "x"), ("QOLTANBA_TRUST_ANCHORS", "/no/such/file.pem"),
        ("QOLTANBA_WEBHOOK_POLL_SECONDS", "1e300"), ("QOLTANBA_WEBHOOK_POLL_SECONDS", "inf"), ("QOLTANBA_WEBHOOK_CONCURRENCY", "0"),
        ("QOLTANBA_WEBHOOK_CONCURRENCY_PER_ORGANIZATION", "-2"), ("QOLTANBA_TEST_PAUSE", "signing-commit"),
        ("QOLTANBA_TEST_PAUSE", "nowhere:5"), ("QOLTANBA_TEST_PAUSE", "signing-commit:-1"),
    ])
    func invalid(_ key: String, _ value: String) {
        do {
            _ = try QoltanbaConfiguration(environment: [key: value])
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect("\(error)".contains(key))
        }
    }

    @Test("production refuses a made-up master key, a placeholder token and a placeholder database password, naming the variable and not the value")
    func productionSecrets() throws {
        let tokens = Dictionary(uniqueKeysWithValues: ["REGISTRY", "LIVENESS", "FACE_MATCH", "SMS"].flatMap { name in
            [("QOLTANBA_\(name)_URL", "https://\(name.lowercased()).provider.kz/api"), ("QOLTANBA_\(name)_TOKEN", "a-real-token-Zm9vYmFyYmF6")]
        })
        let good = tokens.merging([
            "QOLTANBA_MODE": "production", "QOLTANBA_DATABASE_URL": "postgres://qoltanba@db:5432/qoltanba",
            "QOLTANBA_MASTER_KEY": TestServer.randomMasterKey(),
        ]) { $1 }
        _ = try QoltanbaConfiguration(environment: good)
        _ = try QoltanbaConfiguration(environment: good.merging(["QOLTANBA_DATABASE_URL": "postgres://q:Zm9vYmFyYmF6LXF3ZXJ0eQ@db/q"]) { $1 })
        let refused: [(String, String)] = [
            ("QOLTANBA_MASTER_KEY", Data(repeating: 0, count: 32).base64EncodedString()),
            ("QOLTANBA_MASTER_KEY", Data((0..<32).map { UInt8($0 % 8) }).base64EncodedString()),
            ("QOLTANBA_SMS_TOKEN", "changeme"), ("QOLTANBA_SMS_TOKEN", "CHANGE-ME-to-the-gateway-token"), ("QOLTANBA_REGISTRY_TOKEN", "short-tkn"),
            ("QOLTANBA_LIVENESS_TOKEN", "token"),
            ("QOLTANBA_DATABASE_URL", "postgres://qoltanba:postgres@db:5432/qoltanba"),
            ("QOLTANBA_DATABASE_URL", "postgres://qoltanba:change-me-please-now@db:5432/qoltanba"),
            ("QOLTANBA_TEST_PAUSE", "signing-commit:30"),
        ]
        for (key, value) in refused {
            #expect {
                try QoltanbaConfiguration(environment: good.merging([key: value]) { $1 })
            } throws: { error in
                "\(error)".contains(key) && !"\(error)".contains(value)
            }
        }
        // The sandbox takes what it is given.
        _ = try QoltanbaConfiguration(environment: ["QOLTANBA_MASTER_KEY": Data(repeating: 0, count: 32).base64EncodedString()])
        #expect(try QoltanbaConfiguration(environment: ["QOLTANBA_TEST_PAUSE": "signing-commit:30"]).testPause == TestPause("signing-commit:30"))
    }
}
