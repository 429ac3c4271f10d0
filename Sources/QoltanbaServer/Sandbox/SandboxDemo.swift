import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// The sandbox's demo organization and its API key, made on first start and shown on every start.
///
/// The key's hash is in the database like any other; the key itself is kept in the data folder
/// (readable by the owner only) because the sandbox promises to print it on every start.
enum SandboxDemo {
    static let organizationName = "Demo organization"
    static let keyFileName = "sandbox-api-key"

    /// The demo organization's key, made (with the organization) when missing or revoked.
    static func prepare(_ app: Application) async throws -> APIKeySecret {
        let store = app.stores.organizations
        var organization = try await store.organization(named: organizationName)
        if organization == nil {
            organization = try await store.createOrganization(named: organizationName)
        }
        guard let organization else { throw QoltanbaError.organizationNotFound }
        let keyFile = URL(fileURLWithPath: app.qoltanba.dataDirectory).appendingPathComponent(keyFileName)

        if let saved = try? String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           try await store.activeAPIKey(secretHash: APIKeySecret(saved).hash)?.organizationID == organization.id
        {
            return APIKeySecret(saved)
        }
        let secret = try await store.createAPIKey(for: organization.id, label: "sandbox demo key").secret
        try FileManager.default.createDirectory(
            atPath: app.qoltanba.dataDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(
            atPath: keyFile.path, contents: Data((secret.value + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw QoltanbaError(.operatorError, "cannot write the demo key to \(keyFile.path)")
        }
        return secret
    }

    /// The text printed when the sandbox starts: where it listens, the demo key, the test citizens.
    static func banner(url: String, key: APIKeySecret) throws -> String {
        var lines = [
            "",
            "Qoltanba sandbox is running at \(url)",
            "  API documentation: \(url)/swagger",
            "  Demo organization: \(organizationName)",
            "  Demo API key (x-api-key): \(key.value)",
            "",
            "Sandbox test citizens (IIN, phone, outcome in the signing client, name):",
        ]
        for entry in try SandboxCitizens.load() {
            let outcome = entry.outcome.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
            lines.append("  \(entry.iin)  \(entry.phone)  \(outcome)  \(entry.name.full) (\(entry.latinName.full))")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
