import QoltanbaCore
import Vapor

/// `qoltanba org …`: organizations.
struct OrganizationCommands: AsyncCommandGroup {
    var help: String { "Manage organizations." }
    var commands: [String: any AnyAsyncCommand] { ["create": Create()] }

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
            let organization = try await OrganizationStore(database: context.application.db)
                .createOrganization(named: name)
            Output.result(try organization.requireID().apiString)
            Output.message("created organization '\(organization.name)'")
        }
    }
}
