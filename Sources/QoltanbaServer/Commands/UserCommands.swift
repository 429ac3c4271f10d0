
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba user …`: the cabinet's staff accounts.
struct UserCommands: AsyncCommandGroup {
    var help: String { "Manage the cabinet's staff accounts." }
    var commands: [String: any AnyAsyncCommand] {
        ["create": Create(), "reset-password": ResetPassword(), "list": List(), "delete": Delete()]
    }

    /// `qoltanba user create --org ID_OR_NAME --email EMAIL`: prints the one-time password.
    struct Create: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
            @Option(name: "email", help: "The staff member's email: their login.")
            var email: String?
        }

        var help: String { "Create a cabinet account and print its one-time password (to be changed at first login)." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            guard let email = signature.email else { throw QoltanbaError.operatorFailure("--email is required") }
            let app = context.application
            try await app.prepareDatabase()
            let organization = try await app.stores.organizations.organization(idOrName: name)
            let created = try await app.staffAccounts.create(organization: organization, email: email)
            let (user, password) = (created.user, created.password)
            Output.result(password)
            Output.message("created the cabinet account \(user.email) of '\(organization.name)'; the one-time password above is shown only now")
        }
    }

    /// `qoltanba user reset-password --email EMAIL`: a new one-time password; the account's logins end.
    struct ResetPassword: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "email", help: "The account's email.")
            var email: String?
        }

        var help: String { "Give a cabinet account a new one-time password and end its logins." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let email = signature.email else { throw QoltanbaError.operatorFailure("--email is required") }
            try await context.application.prepareDatabase()
            let reset = try await context.application.staffAccounts.resetPassword(email: email)
            let (user, password) = (reset.user, reset.password)
            Output.result(password)
            Output.message("new one-time password for \(user.email); it is shown only now")
        }
    }

    /// `qoltanba user list --org ID_OR_NAME`: the organization's accounts.
    struct List: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
        }

        var help: String { "List an organization's cabinet accounts: email, created, last login, whether the password is one-time." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            let app = context.application
            try await app.prepareDatabase()
            let organization = try await app.stores.organizations.organization(idOrName: name)
            let users = try await app.stores.staff.users(of: organization.id)
            Output.message("email\tcreated\tlast login\tpassword")
            for user in users {
                Output.result([
                    user.email, APITimestamp.format(user.createdAt), user.lastLoginAt.map(APITimestamp.format) ?? "-",
                    user.mustChangePassword ? "one-time" : "own",
                ].joined(separator: "\t"))
            }
        }
    }

    /// `qoltanba user delete --email EMAIL`: the account and its logins are gone.
    struct Delete: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "email", help: "The account's email.")
            var email: String?
        }

        var help: String { "Delete a cabinet account; its logins end at once." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let email = signature.email else { throw QoltanbaError.operatorFailure("--email is required") }
            try await context.application.prepareDatabase()
            let app = context.application
            let user = try await app.staffAccounts.delete(email: email)
            Output.message("deleted the cabinet account \(user.email)")
        }
    }
}
