import Foundation
import Logging
import QoltanbaCore
import QoltanbaPersistence
import QoltanbaPKI
import SwiftASN1
import X509

/// Every setting of the server, read from `QOLTANBA_*` environment variables.
///
/// The README's configuration table lists the same keys with the same defaults; keep both in step.
public struct QoltanbaConfiguration: Sendable {
    /// `sandbox` (test citizens, sandbox providers, demo organization) or `production`.
    public enum Mode: String, Sendable {
        /// Test citizens, sandbox providers, a demo organization and key.
        case sandbox
        /// Real providers and a database named explicitly.
        case production
    }

    /// Where the data lives.
    public typealias Database = DatabaseLocation

    /// `QOLTANBA_MODE`.
    public var mode: Mode
    /// `QOLTANBA_DATA_DIR`: the SQLite file and the sandbox's demo key live here.
    public var dataDirectory: String
    /// `QOLTANBA_DATABASE_URL`.
    public var database: Database
    /// The PostgreSQL schema to work in (its `search_path`); nil for the server's default.
    public var databaseSchema: String?
    /// `QOLTANBA_PUBLIC_URL`, without a trailing slash.
    public var publicURL: String
    /// `QOLTANBA_SESSION_TTL_SECONDS`.
    public var sessionTimeToLive: Int
    /// `QOLTANBA_MAX_UPLOAD_BYTES`.
    public var maximumUploadBytes: Int
    /// `QOLTANBA_MAX_SESSION_DOCUMENTS`: how many documents one session may hold.
    public var maximumSessionDocuments: Int
    /// `QOLTANBA_MAX_SESSION_BYTES`: how many bytes of documents one session may hold in all.
    public var maximumSessionBytes: Int
    /// `QOLTANBA_RENDER_TIMEOUT_SECONDS`: how long checking, stamping or drawing one document may take.
    public var renderTimeout: Int
    /// Requests per minute and API key (`QOLTANBA_RATE_LIMIT_PER_MINUTE`); 0 turns the limit off.
    public var rateLimitPerMinute: Int
    /// `QOLTANBA_TRUST_ANCHORS`: a PEM file of root certificates trusted besides Qoltanba's own
    /// (national roots), for earlier signatures on uploaded documents.
    public var trustAnchors: [Certificate]
    /// `QOLTANBA_CORS_ORIGINS`, split at commas; `["*"]` allows any origin.
    public var corsOrigins: [String]
    /// `QOLTANBA_TRUSTED_PROXIES`, split at commas: addresses or CIDR blocks of the proxies whose
    /// `X-Forwarded-For` names the client (for the cabinet's login limit).
    public var trustedProxies: [String]
    /// `QOLTANBA_EXPIRY_SWEEP_SECONDS`.
    public var expirySweepInterval: Int
    /// `QOLTANBA_LOG_LEVEL`.
    public var logLevel: Logger.Level
    /// `QOLTANBA_LOG_FORMAT`: `text` (the default) or `json`, one object per line.
    public var logFormat: LogFormat
    /// `QOLTANBA_SHUTDOWN_GRACE_SECONDS`: how long requests in flight may take to finish at shutdown.
    public var shutdownGrace: Int
    /// `QOLTANBA_TEST_PAUSE` (sandbox only): where the crash tests hold the process.
    var testPause: TestPause?
    /// `QOLTANBA_METRICS_PORT`: the port `/metrics` is served on instead of the main one.
    public var metricsPort: Int?

    public enum LogFormat: String, Sendable {
        case text, json
    }
    /// `QOLTANBA_MASTER_KEY`: required in production; the sandbox keeps one in the data folder
    /// when it is not set. Secret.
    public var masterKey: MasterKey?
    /// `QOLTANBA_MASTER_KEY_PREVIOUS`: during a master key rotation, the key rotated away from,
    /// which opens what it sealed until `qoltanba keys rotate-master` has sealed it all again.
    public var previousMasterKey: MasterKey?
    /// `QOLTANBA_SIGNER_KEY_ALGORITHM`: the algorithm of new signer keys.
    public var signerKeyAlgorithm: SigningKey.Algorithm
    /// `QOLTANBA_CERTIFICATE_VALIDITY_DAYS`: how long a signer certificate is valid.
    public var certificateValidityDays: Int

    /// An HTTP provider: where it is and the bearer token to send.
    public struct ProviderEndpoint: Sendable, Equatable {
        /// The URL every request is posted to.
        public var url: String
        /// `Authorization: Bearer` token, when set. Secret.
        public var token: String?
    }

    /// `QOLTANBA_REGISTRY_URL` / `_TOKEN`: the citizen registry; nil for the sandbox's test citizens.
    public var registry: ProviderEndpoint?
    /// `QOLTANBA_LIVENESS_URL` / `_TOKEN`; nil for the sandbox's.
    public var liveness: ProviderEndpoint?
    /// `QOLTANBA_FACE_MATCH_URL` / `_TOKEN`; nil for the sandbox's.
    public var faceMatch: ProviderEndpoint?
    /// `QOLTANBA_SMS_URL` / `_TOKEN`; nil for the sandbox's inbox.
    public var sms: ProviderEndpoint?
    /// `QOLTANBA_EDOCUMENT_URL` / `_TOKEN`; nil: the sandbox's (in the sandbox) or the built-in CA approves.
    public var eDocument: ProviderEndpoint?
    /// `QOLTANBA_PROVIDER_TIMEOUT_SECONDS`: how long an HTTP provider may take to answer.
    public var providerTimeout: Int

    /// How webhooks are delivered.
    public struct WebhookSettings: Sendable {
        /// `QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS`, `_RETRY_CAP_SECONDS`, `_ATTEMPTS`.
        public var schedule: RetrySchedule
        /// `QOLTANBA_WEBHOOK_POLL_SECONDS`: how often the outbox is looked at.
        public var pollInterval: Double
        /// `QOLTANBA_WEBHOOK_TIMEOUT_SECONDS`: how long a receiver may take to answer.
        public var timeout: Int
        /// `QOLTANBA_WEBHOOK_CONCURRENCY`: how many deliveries one instance runs at once.
        public var concurrency: Int
        /// `QOLTANBA_WEBHOOK_CONCURRENCY_PER_ORGANIZATION`: how many of them may go to one
        /// organization's receiver.
        public var concurrencyPerOrganization: Int
        /// `QOLTANBA_WEBHOOK_ALLOW_PRIVATE`: whether webhook URLs may resolve to loopback,
        /// link-local or private addresses (always in the sandbox).
        public var allowPrivate: Bool
    }

    /// Webhook delivery.
    public var webhooks: WebhookSettings

    /// A configuration error, naming the variable and what is wrong with its value.
    public struct Invalid: Error, CustomStringConvertible {
        /// What is wrong, naming the variable.
        public let description: String
    }

    /// Reads the configuration from an environment dictionary.
    /// - Throws: ``Invalid`` naming the first variable whose value cannot be used.
    public init(environment given: [String: String]) throws {
        let environment = try Self.readingFiles(given)
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func positive(_ key: String, default fallback: Int) throws -> Int {
            guard let text = value(key) else { return fallback }
            guard let number = Int(text), number > 0 else {
                throw Invalid(description: "\(key) must be a positive whole number, got '\(text)'")
            }
            return number
        }

        let modeText = value("QOLTANBA_MODE") ?? "sandbox"
        guard let mode = Mode(rawValue: modeText.lowercased()) else {
            throw Invalid(description: "QOLTANBA_MODE must be 'sandbox' or 'production', got '\(modeText)'")
        }
        self.mode = mode
        self.dataDirectory = value("QOLTANBA_DATA_DIR") ?? "./data"

        switch value("QOLTANBA_DATABASE_URL") {
        case let url? where url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"):
            self.database = .postgres(url: url)
        case let url? where url.contains("://"):
            throw Invalid(description: "QOLTANBA_DATABASE_URL must be an SQLite file path or a postgres:// URL")
        case let path?:
            self.database = .sqlite(path: path)
        case nil where mode == .production:
            throw Invalid(description: "QOLTANBA_DATABASE_URL is required in production mode (a postgres:// URL)")
        case nil:
            self.database = .sqlite(path: (dataDirectory as NSString).appendingPathComponent("qoltanba.sqlite"))
        }

        self.databaseSchema = value("QOLTANBA_DATABASE_SCHEMA")
        if let schema = databaseSchema,
           !schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw Invalid(description: "QOLTANBA_DATABASE_SCHEMA may contain only letters, digits and underscores")
        }

        let publicURL = value("QOLTANBA_PUBLIC_URL") ?? "http://127.0.0.1:8080"
        guard WebAddress.host(ofAbsoluteHTTP: publicURL) != nil else {
            throw Invalid(description: "QOLTANBA_PUBLIC_URL must be an http(s) URL, got '\(publicURL)'")
        }
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL

        self.sessionTimeToLive = try positive("QOLTANBA_SESSION_TTL_SECONDS", default: 1800)
        self.maximumUploadBytes = try positive(
            "QOLTANBA_MAX_UPLOAD_BYTES", default: mode == .sandbox ? 30 * 1024 : 20 * 1024 * 1024)
        // Request limits are multiples of it (base64, a CMS around a document): keep them far from overflow.
        guard maximumUploadBytes <= 1 << 30 else {
            throw Invalid(description: "QOLTANBA_MAX_UPLOAD_BYTES must be at most 1073741824 (1 GiB)")
        }
        self.maximumSessionDocuments = try positive("QOLTANBA_MAX_SESSION_DOCUMENTS", default: 50)
        self.maximumSessionBytes = try positive("QOLTANBA_MAX_SESSION_BYTES", default: 200 * 1024 * 1024)
        self.renderTimeout = try positive("QOLTANBA_RENDER_TIMEOUT_SECONDS", default: 30)
        self.rateLimitPerMinute = try value("QOLTANBA_RATE_LIMIT_PER_MINUTE").map { text in
            guard let number = Int(text), number >= 0, number <= 1_000_000_000 else {
                throw Invalid(description: "QOLTANBA_RATE_LIMIT_PER_MINUTE must be a whole number from 0 (off) up, got '\(text)'")
            }
            return number
        } ?? 1000
        self.trustAnchors = try value("QOLTANBA_TRUST_ANCHORS").map(Self.certificates(inPEMFile:)) ?? []
        self.expirySweepInterval = try positive("QOLTANBA_EXPIRY_SWEEP_SECONDS", default: 30)

        let origins = value("QOLTANBA_CORS_ORIGINS") ?? (mode == .sandbox ? "*" : "")
        self.corsOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        self.trustedProxies = (value("QOLTANBA_TRUSTED_PROXIES") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let wrong = trustedProxies.first(where: { ClientAddress.Block($0) == nil }) {
            throw Invalid(description: "QOLTANBA_TRUSTED_PROXIES must list IP addresses or CIDR blocks, got '\(wrong)'")
        }

        let levelText = value("QOLTANBA_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(description: "QOLTANBA_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = level
        let formatText = value("QOLTANBA_LOG_FORMAT") ?? "text"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw Invalid(description: "QOLTANBA_LOG_FORMAT must be 'text' or 'json', got '\(formatText)'")
        }
        self.logFormat = format
        self.shutdownGrace = try positive("QOLTANBA_SHUTDOWN_GRACE_SECONDS", default: 20)
        self.metricsPort = try value("QOLTANBA_METRICS_PORT").map { text in
            guard let port = Int(text), (1...65535).contains(port) else {
                throw Invalid(description: "QOLTANBA_METRICS_PORT must be a port number from 1 to 65535, got '\(text)'")
            }
            return port
        }

        if let text = value("QOLTANBA_MASTER_KEY") {
            do {
                self.masterKey = try MasterKey(base64: text)
            } catch {
                throw Invalid(description: "QOLTANBA_MASTER_KEY must be base64 of exactly 32 bytes (make one with: openssl rand -base64 32)")
            }
            if mode == .production, let masterKey, ProductionSecrets.isMadeUp(masterKey) {
                throw Invalid(description: "QOLTANBA_MASTER_KEY is not a random key (too few distinct bytes): make one with: openssl rand -base64 32")
            }
        } else if mode == .production {
            throw Invalid(description: "QOLTANBA_MASTER_KEY is required in production mode: base64 of 32 random bytes (make one with: openssl rand -base64 32), kept outside the database")
        } else {
            self.masterKey = nil
        }
        self.previousMasterKey = try value("QOLTANBA_MASTER_KEY_PREVIOUS").map { text in
            do {
                return try MasterKey(base64: text)
            } catch {
                throw Invalid(description: "QOLTANBA_MASTER_KEY_PREVIOUS must be base64 of exactly 32 bytes: the master key being rotated away from")
            }
        }
        let algorithmText = value("QOLTANBA_SIGNER_KEY_ALGORITHM") ?? SigningKey.Algorithm.p256.rawValue
        guard let algorithm = SigningKey.Algorithm(rawValue: algorithmText.lowercased()) else {
            throw Invalid(description: "QOLTANBA_SIGNER_KEY_ALGORITHM must be 'ecdsa-p256' or 'rsa-2048', got '\(algorithmText)'")
        }
        self.signerKeyAlgorithm = algorithm
        self.certificateValidityDays = try positive("QOLTANBA_CERTIFICATE_VALIDITY_DAYS", default: 365)

        func endpoint(_ name: String, requiredInProduction: Bool) throws -> ProviderEndpoint? {
            guard let url = value("QOLTANBA_\(name)_URL") else {
                if requiredInProduction && mode == .production {
                    throw Invalid(description: "QOLTANBA_\(name)_URL is required in production mode (the README's \"Providers\" describes the service it calls)")
                }
                return nil
            }
            guard WebAddress.host(ofAbsoluteHTTP: url) != nil else {
                throw Invalid(description: "QOLTANBA_\(name)_URL must be an http(s) URL, got '\(url)'")
            }
            return ProviderEndpoint(url: url, token: value("QOLTANBA_\(name)_TOKEN"))
        }
        self.registry = try endpoint("REGISTRY", requiredInProduction: true)
        self.liveness = try endpoint("LIVENESS", requiredInProduction: true)
        self.faceMatch = try endpoint("FACE_MATCH", requiredInProduction: true)
        self.sms = try endpoint("SMS", requiredInProduction: true)
        self.eDocument = try endpoint("EDOCUMENT", requiredInProduction: false)
        self.providerTimeout = try positive("QOLTANBA_PROVIDER_TIMEOUT_SECONDS", default: 10)

        func seconds(_ key: String, default fallback: Double) throws -> Double {
            guard let text = value(key) else { return fallback }
            guard let number = Double(text), number > 0, number <= 31_536_000 else {
                throw Invalid(description: "\(key) must be a positive number of seconds, at most a year, got '\(text)'")
            }
            return number
        }
        let allowText = value("QOLTANBA_WEBHOOK_ALLOW_PRIVATE")?.lowercased()
        guard allowText == nil || ["1", "0", "true", "false", "yes", "no"].contains(allowText!) else {
            throw Invalid(description: "QOLTANBA_WEBHOOK_ALLOW_PRIVATE must be 1 or 0, got '\(allowText!)'")
        }
        self.webhooks = WebhookSettings(
            schedule: RetrySchedule(
                base: try seconds("QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS", default: 60),
                cap: try seconds("QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS", default: 3600),
                attempts: try positive("QOLTANBA_WEBHOOK_ATTEMPTS", default: 12)),
            pollInterval: try seconds("QOLTANBA_WEBHOOK_POLL_SECONDS", default: 2),
            timeout: try positive("QOLTANBA_WEBHOOK_TIMEOUT_SECONDS", default: 10),
            concurrency: try positive("QOLTANBA_WEBHOOK_CONCURRENCY", default: 32),
            concurrencyPerOrganization: try positive("QOLTANBA_WEBHOOK_CONCURRENCY_PER_ORGANIZATION", default: 4),
            allowPrivate: allowText.map { ["1", "true", "yes"].contains($0) } ?? (mode == .sandbox))
        self.testPause = try value("QOLTANBA_TEST_PAUSE").map { text in
            guard mode == .sandbox else { throw Invalid(description: "QOLTANBA_TEST_PAUSE is for the sandbox's crash tests only") }
            guard let pause = TestPause(text) else {
                throw Invalid(description: "QOLTANBA_TEST_PAUSE must be POINT:SECONDS with a point of \(PausePoint.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            return pause
        }
        if mode == .production {
            try ProductionSecrets.check(self)
        }
    }

    /// The certificates of a PEM file (`-----BEGIN CERTIFICATE-----` blocks).
    static func certificates(inPEMFile path: String) throws -> [Certificate] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "QOLTANBA_TRUST_ANCHORS names '\(path)', which cannot be read as a text file")
        }
        do {
            let certificates = try PEMDocument.parseMultiple(pemString: text)
                .filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(derEncoded: $0.derBytes) }
            guard !certificates.isEmpty else {
                throw Invalid(description: "QOLTANBA_TRUST_ANCHORS names '\(path)', which holds no certificate")
            }
            return certificates
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(description: "QOLTANBA_TRUST_ANCHORS names '\(path)', which is not a readable PEM file of certificates")
        }
    }

    /// The environment with every `QOLTANBA_…_FILE` variable read into its variable (the Docker and
    /// systemd convention for secrets): `QOLTANBA_MASTER_KEY_FILE=/run/secrets/master` sets
    /// `QOLTANBA_MASTER_KEY` to the file's text, without its trailing line break.
    /// - Throws: ``Invalid`` for a file that cannot be read, or a variable given both ways.
    static func readingFiles(_ environment: [String: String]) throws -> [String: String] {
        var resolved = environment
        for (key, path) in environment where key.hasPrefix("QOLTANBA_") && key.hasSuffix("_FILE") && !path.isEmpty {
            let name = String(key.dropLast("_FILE".count))
            guard environment[name]?.isEmpty ?? true else {
                throw Invalid(description: "\(name) and \(key) are both set: give the value one way")
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw Invalid(description: "\(key) names '\(path)', which cannot be read as a UTF-8 text file")
            }
            resolved[name] = text.trimmingCharacters(in: .newlines)
        }
        return resolved
    }

    /// The configuration of this process's environment.
    public static func fromProcessEnvironment() throws -> QoltanbaConfiguration {
        try QoltanbaConfiguration(environment: ProcessInfo.processInfo.environment)
    }
}
