import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba apikey …`: API keys of an organization.
struct APIKeyCommands: AsyncCommandGroup {
    var help: String { "Manage API keys." }
    var commands: [String: any AnyAsyncCommand] { ["create": Create(), "list": List(), "revoke": Revoke()] }

    /// `qoltanba apikey create --org ID_OR_NAME [--label TEXT]`: prints the new key alone.
    struct Create: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
            @Option(name: "label", help: "A label to tell the key apart.")
            var label: String?
        }

        var help: String { "Create an API key and print it (it is shown this once)." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let organizationRef = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            try await context.application.prepareDatabase()
            let store = context.application.stores.organizations
            let organization = try await store.organization(idOrName: organizationRef)
            let created = try await store.createAPIKey(for: organization.id, label: signature.label ?? "")
            Output.result(created.secret.value)
            Output.message("created API key \(created.key.id.apiString) for '\(organization.name)'; it is not shown again")
        }
    }

    /// `qoltanba apikey list --org ID_OR_NAME`: one tab-separated line per key.
    struct List: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
        }

        var help: String { "List an organization's API keys: id, prefix, label, created, last used, status." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let organizationRef = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            try await context.application.prepareDatabase()
            let store = context.application.stores.organizations
            let keys = try await store.apiKeys(of: store.organization(idOrName: organizationRef).id)
            Output.message("ID\tPREFIX\tLABEL\tCREATED\tLAST_USED\tSTATUS")
            for key in keys {
                let fields = [
                    key.id.apiString, key.prefix, key.label.isEmpty ? "-" : key.label,
                    key.createdAt.map(APITimestamp.format) ?? "-", key.lastUsedAt.map(APITimestamp.format) ?? "-",
                    key.revokedAt == nil ? "active" : "revoked",
                ]
                Output.result(fields.joined(separator: "\t"))
            }
        }
    }

    /// `qoltanba apikey revoke KEY_ID`.
    struct Revoke: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "key-id", help: "The key's id, as `apikey list` shows it.")
            var keyID: String
        }

        var help: String { "Revoke an API key: it is refused from now on." }

        func run(using context: CommandContext, signature: Signature) async throws {
            try await context.application.prepareDatabase()
            let wasActive = try await context.application.stores.organizations.revokeAPIKey(id: signature.keyID)
            Output.message(wasActive ? "revoked API key \(signature.keyID)" : "API key \(signature.keyID) was already revoked")
        }
    }
}
