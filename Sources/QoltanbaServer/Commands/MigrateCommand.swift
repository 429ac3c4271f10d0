import QoltanbaPersistence
import Vapor

/// `qoltanba migrate`: applies the migrations not applied yet, as every start does (each in one
/// transaction with its record in `_fluent_migrations`; on PostgreSQL under the migration lock).
/// It takes the place of Fluent's command of the same name, whose migrator records a migration
/// outside the transaction that applied it. `--yes` is accepted, as Fluent's command took it;
/// nothing is asked.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "yes", help: "Accepted for scripts written for Fluent's command; nothing is asked.")
        var yes: Bool
    }

    var help: String { "Apply the migrations not applied yet (every start does the same)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let applied = try await context.application.migrateDatabase()
        Output.message(applied.isEmpty ? "every migration was already applied" : "applied: \(applied.joined(separator: ", "))")
    }
}
