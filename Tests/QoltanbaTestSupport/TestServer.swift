import Fluent
import Foundation
import Logging
import QoltanbaCore
@testable import QoltanbaPersistence
@testable import QoltanbaServer
import SQLKit
import Testing
import VaporTesting

/// A configured application on a fresh database with two organizations, each with an API key.
///
/// The database is a new SQLite file, or, when `QOLTANBA_TEST_DATABASE_URL` names a PostgreSQL
/// server, a new schema there (dropped afterwards): `make test` runs every suite both ways.
public struct TestServer: Sendable {
    public let app: Application
    public let key: String
    public let otherKey: String
    public let organizationID: UUID

    static let quietLogs: Void = LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }

    public static var usesPostgres: Bool { postgresURL != nil }

    /// A new random master key, as `QOLTANBA_MASTER_KEY` takes it (production refuses made-up ones).
    public static func randomMasterKey() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["QOLTANBA_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` against a fresh server; `environment` overrides `QOLTANBA_*` settings.
    public static func with(
        environment overrides: [String: String] = [:], _ body: (TestServer) async throws -> Void
    ) async throws {
        _ = quietLogs
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-test-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var environment = ["QOLTANBA_MODE": "sandbox", "QOLTANBA_DATA_DIR": directory.path]
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        if let url = postgresURL {
            environment["QOLTANBA_DATABASE_URL"] = url
            environment["QOLTANBA_DATABASE_SCHEMA"] = schema
        }
        environment.merge(overrides) { $1 }
        let configuration = try QoltanbaConfiguration(environment: environment)

        try await withApp(configure: { app in
            try await configure(app, with: configuration)
            try await app.prepareDatabase()
        }) { app in
            do {
                let store = app.stores.organizations
                let first = try await store.createOrganization(named: "First bank")
                let second = try await store.createOrganization(named: "Second telecom")
                let key = try await store.createAPIKey(for: first.id, label: "tests").secret
                let otherKey = try await store.createAPIKey(for: second.id, label: "tests").secret
                try await body(TestServer(app: app, key: key.value, otherKey: otherKey.value, organizationID: first.id))
            } catch {
                if usesPostgres { try? await dropSchema(schema, app) }
                throw error
            }
            if usesPostgres { try await dropSchema(schema, app) }
        }
    }

    private static func dropSchema(_ schema: String, _ app: Application) async throws {
        try await (app.db as! any SQLDatabase).raw("DROP SCHEMA \(ident: schema) CASCADE").run()
    }

    // MARK: Requests

    public func send(
        _ method: HTTPMethod, _ path: String, key: String? = nil, headers: HTTPHeaders = [:], body: ByteBuffer? = nil
    ) async throws -> TestingHTTPResponse {
        var headers = headers
        if let key = key ?? Optional(self.key), !key.isEmpty { headers.replaceOrAdd(name: "x-api-key", value: key) }
        return try await app.testing().sendRequest(method, path, headers: headers, body: body)
    }

    public func postJSON(_ path: String, _ json: String, key: String? = nil) async throws -> TestingHTTPResponse {
        try await send(.POST, path, key: key, headers: ["Content-Type": "application/json"], body: ByteBuffer(string: json))
    }

    public func createSession(
        iin: String = "871008401427", phone: String = "77011234567", type: String = "pdf", key: String? = nil
    ) async throws -> UUID {
        let response = try await postJSON(
            "/api/v1/session/create/", #"{"iin":"\#(iin)","phone":"\#(phone)","document_type":"\#(type)"}"#, key: key)
        try #require(response.status == .ok, "create: \(response.status) \(response.body.string)")
        return try #require(UUID(uuidString: try response.json()["session_id"] as? String ?? ""))
    }

    /// A multipart upload sent the way Python's `requests` sends `files=`: every field a file part.
    public func uploadMultipart(
        session: String?, name: String?, file: [UInt8]?, fileName: String = "example_file.pdf", key: String? = nil,
        path: String = "/api/v1/session/documents/upload/"
    ) async throws -> TestingHTTPResponse {
        let boundary = "qoltanba-test-boundary"
        var body = ByteBuffer()
        func part(_ field: String, filename: String, _ bytes: [UInt8]) {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n\r\n")
            body.writeBytes(bytes)
            body.writeString("\r\n")
        }
        if let session { part("session_id", filename: "session_id", Array(session.utf8)) }
        if let name { part("name", filename: "name", Array(name.utf8)) }
        if let file { part("file", filename: fileName, file) }
        body.writeString("--\(boundary)--\r\n")
        return try await send(
            .POST, path, key: key, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], body: body)
    }

    public func uploadBase64(session: String, name: String, file: [UInt8], key: String? = nil) async throws -> TestingHTTPResponse {
        try await postJSON(
            "/api/v1/session/documents/upload/base64/",
            #"{"session_id":"\#(session)","name":"\#(name)","base64_file":"\#(Data(file).base64EncodedString())"}"#,
            key: key)
    }

    public func documentCount() async throws -> Int {
        try await DocumentModel.query(on: app.db).count()
    }
}

extension TestingHTTPResponse {
    public func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any], "not a JSON object: \(body.string)")
    }

    public var detail: String? { (try? json())?["detail"] as? String }
}

public enum Samples {
    /// A small, complete PDF with one page.
    public static let pdf = pdf(padding: 0)

    /// A complete PDF with one page and a comment of `padding` bytes after its header.
    public static func pdf(padding: Int) -> [UInt8] {
        var text = "%PDF-1.4\n" + (padding > 0 ? "%" + String(repeating: "x", count: padding) + "\n" : "")
        var offsets: [Int] = []
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
        for (index, object) in objects.enumerated() {
            offsets.append(text.utf8.count)
            text += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = text.utf8.count
        text += "xref\n0 4\n0000000000 65535 f \n"
        for offset in offsets { text += String(format: "%010d 00000 n \n", offset) }
        text += "trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(text.utf8)
    }

    /// A JPEG's structure (start, frame and scan headers, scan bytes, end) at 640×480.
    public static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0x01, 0xE0, 0x02, 0x80, 1, 1, 0x11, 0,
                                0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0, 0x12, 0x34, 0xFF, 0xD9]

    public static let xml = Array(#"<?xml version="1.0" encoding="UTF-8"?><contract><party>Қолтаңба</party></contract>"#.utf8)
}
