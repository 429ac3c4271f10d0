import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba org …`: organizations.
struct OrganizationCommands: AsyncCommandGroup {
    var help: String { "Manage organizations." }
    var commands: [String: any AnyAsyncCommand] { ["create": Create(), "set-webhook": SetWebhook(), "set-redirect-origins": SetRedirectOrigins()] }

    /// `qoltanba org create --name NAME`: prints the new organization's id.
    struct Create: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "name", help: "The organization's name (unique).")
            var name: String?
        }

        var help: String { "Create an organization and print its id." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.name else { throw QoltanbaError.operatorFailure("--name is required") }
            try await context.application.prepareDatabase()
            let organization = try await context.application.stores.organizations
                .createOrganization(named: name)
            Output.result(organization.id.apiString)
            Output.message("created organization '\(organization.name)'")
        }
    }

    /// `qoltanba org set-webhook --org ID_OR_NAME --url URL`: prints the new webhook secret.
    struct SetWebhook: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
            @Option(name: "url", help: "Where session events are posted.")
            var url: String?
        }

        var help: String { "Set the organization's webhook URL and print its new secret (an earlier one signs too for 24 hours)." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            guard let url = signature.url else { throw QoltanbaError.operatorFailure("--url is required") }
            let app = context.application
            try await app.prepareDatabase()
            let organization = try await app.stores.organizations.organization(idOrName: name)
            let secret = try await WebhookSecrets.set(
                url: url, for: organization.id, sealer: app.sealer, allowPrivate: app.qoltanba.webhooks.allowPrivate, in: app.stores.organizations)
            Output.result(secret)
            Output.message("webhook of '\(organization.name)' set to \(url); the secret above is shown only now")
        }
    }

    /// `qoltanba org set-redirect-origins --org ID_OR_NAME --origins "https://a.kz,https://b.kz"`.
    struct SetRedirectOrigins: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
            @Option(name: "origins", help: "The origins redirect_url may point at, separated by commas; \"\" allows any.")
            var origins: String?
        }

        var help: String { "Set the origins a session's redirect_url may point at (none: any)." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            guard let text = signature.origins else { throw QoltanbaError.operatorFailure("--origins is required (\"\" allows any)") }
            let app = context.application
            try await app.prepareDatabase()
            let store = app.stores.organizations
            let organization = try await store.organization(idOrName: name)
            let origins: [String]
            do {
                origins = try await store.setRedirectOrigins(text, field: "--origins", for: organization.id)
            } catch let error as QoltanbaError {
                throw QoltanbaError.operatorFailure(error.detail)
            }
            origins.forEach(Output.result)
            Output.message(origins.isEmpty
                ? "'\(organization.name)' allows redirect_url to any origin"
                : "'\(organization.name)' allows redirect_url to \(origins.count) origin(s)")
        }
    }
}
