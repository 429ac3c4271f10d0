import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// `qoltanba cert …`: signer certificates.
struct CertificateCommands: AsyncCommandGroup {
    var help: String { "List and revoke signer certificates." }
    var commands: [String: any AnyAsyncCommand] { ["list": List(), "revoke": Revoke()] }

    /// `qoltanba cert list [--iin IIN]`: one tab-separated line per certificate.
    struct List: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "iin", help: "Only this signer's certificates.")
            var iin: String?
        }

        var help: String { "List signer certificates: serial, masked IIN, algorithm, not before, not after, status." }

        func run(using context: CommandContext, signature: Signature) async throws {
            let iin = try signature.iin.map { try IIN($0) }
            let app = context.application
            try await app.prepareDatabase()
            Output.message("SERIAL\tIIN\tALGORITHM\tNOT_BEFORE\tNOT_AFTER\tSTATUS")
            for model in try await app.stores.certificates.certificates(iin: iin) {
                let status = model.revokedAt.map { "revoked \(APITimestamp.format($0))" }
                    ?? (model.notAfter < Date() ? "expired" : "valid")
                let maskedIIN = model.iin.masked
                Output.result([
                    model.serial, maskedIIN, model.algorithm, APITimestamp.format(model.notBefore),
                    APITimestamp.format(model.notAfter), status,
                ].joined(separator: "\t"))
            }
        }
    }

    /// `qoltanba cert revoke SERIAL [--reason R]`: revokes and issues a new CRL.
    struct Revoke: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "serial", help: "The certificate's serial number in hex, as `cert list` shows it.")
            var serial: String
            @Option(name: "reason", help: "unspecified, key-compromise, affiliation-changed, superseded, cessation-of-operation or certificate-hold.")
            var reason: String?
        }

        var help: String { "Revoke a signer certificate; the CRL lists it at once." }

        func run(using context: CommandContext, signature: Signature) async throws {
            let reasonName = signature.reason ?? "unspecified"
            guard let reason = RevokedCertificate.Reason(name: reasonName) else {
                let names = RevokedCertificate.Reason.allCases.map(\.name).joined(separator: ", ")
                throw QoltanbaError.operatorFailure("--reason must be one of \(names)")
            }
            let app = context.application
            try await app.prepareDatabase()
            let model = try await app.pki.revoke(serial: signature.serial, reason: reason, in: app.stores.certificates)
            Output.message("revoked certificate \(model.serial) (\(reason.name)); the CRL now lists it")
        }
    }
}
