
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba webhook …`: the delivery log.
struct WebhookCommands: AsyncCommandGroup {
    var help: String { "Inspect and redeliver webhook events." }
    var commands: [String: any AnyAsyncCommand] { ["list": List(), "redeliver": Redeliver()] }

    /// `qoltanba webhook list --org ID_OR_NAME`: the organization's events, newest first.
    struct List: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "org", help: "The organization's id or name.")
            var organization: String?
        }

        var help: String { "List an organization's webhook events, newest first." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let name = signature.organization else { throw QoltanbaError.operatorFailure("--org is required") }
            let app = context.application
            try await app.prepareDatabase()
            let organization = try await app.stores.organizations.organization(idOrName: name)
            let events = try await app.stores.webhooks.latest(organizationID: organization.id, limit: 500)
            Output.message("event id\tevent\tsession\tstate\tattempts\tlast status\tnext attempt")
            for event in events {
                Output.result([
                    event.id.apiString, event.event, event.sessionID.apiString, event.state.rawValue, "\(event.attempts)",
                    event.lastStatus.map(String.init) ?? (event.lastError ?? "-"),
                    event.state == .pending ? APITimestamp.format(event.nextAttemptAt) : "-",
                ].joined(separator: "\t"))
            }
        }
    }

    /// `qoltanba webhook redeliver EVENT_ID`: makes the event due now.
    struct Redeliver: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "event", help: "The event's id.")
            var event: String
        }

        var help: String { "Deliver an event again (also a delivered or dead one) at the next round." }

        func run(using context: CommandContext, signature: Signature) async throws {
            try await context.application.prepareDatabase()
            let event = try await WebhookSecrets.redeliver(signature.event, in: context.application.stores.webhooks)
            Output.result(event.id.apiString)
            Output.message("event \(event.event) of session \(event.sessionID.apiString) will be delivered again")
        }
    }
}
