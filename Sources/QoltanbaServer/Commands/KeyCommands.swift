import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba keys …`: the master key.
struct KeyCommands: AsyncCommandGroup {
    var help: String { "Manage the master key." }
    var commands: [String: any AnyAsyncCommand] { ["rotate-master": RotateMaster()] }

    /// `qoltanba keys rotate-master`: seals every secret again under the new master key.
    struct RotateMaster: AsyncCommand {
        struct Signature: CommandSignature {}

        var help: String {
            "Seal every secret again under QOLTANBA_MASTER_KEY (the new key) that QOLTANBA_MASTER_KEY_PREVIOUS (the old one) sealed; safe to run again after a crash."
        }

        func run(using context: CommandContext, signature: Signature) async throws {
            let app = context.application
            guard app.qoltanba.previousMasterKey != nil else {
                throw QoltanbaError.operatorFailure("""
                    set QOLTANBA_MASTER_KEY to the new key and QOLTANBA_MASTER_KEY_PREVIOUS to the old one, on every instance \
                    (restarted with them) and here, then run this again (the README's "Master key rotation" shows the steps)
                    """)
            }
            try await app.prepareDatabase()
            let report = try await MasterKeyRotation(stores: app.stores, sealer: app.sealer).run()
            let kinds = report.resealed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)s" }
            Output.message("sealed again: \(kinds.isEmpty ? "nothing" : kinds.joined(separator: ", ")); already under the new key: \(report.current); changed meanwhile by an instance: \(report.changedMeanwhile)")
            guard report.unreadable.isEmpty else {
                throw QoltanbaError.operatorFailure(
                    "opened by neither key, left as they are: \(report.unreadable.joined(separator: ", ")); keep QOLTANBA_MASTER_KEY_PREVIOUS until they are dealt with")
            }
            Output.result("complete")
            Output.message("every secret is sealed under the new master key: remove QOLTANBA_MASTER_KEY_PREVIOUS from every instance and restart them")
        }
    }
}
