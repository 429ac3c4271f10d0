import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// `qoltanba backup --to FILE`: a consistent copy of the SQLite database, taken while the server
/// runs. PostgreSQL is backed up with its own tools (`pg_dump`; see the README).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "The file to write; it must not exist.")
        var file: String?
    }

    var help: String { "Write a consistent copy of the SQLite database, while the server runs (PostgreSQL: pg_dump, see the README)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let file = signature.file, !file.isEmpty else { throw QoltanbaError.operatorFailure("--to FILE is required") }
        let app = context.application
        guard case .sqlite(path: let database) = app.qoltanba.database else {
            throw QoltanbaError.operatorFailure(
                "the database is PostgreSQL: back it up with pg_dump (the README's \"Backup and restore\" shows how)")
        }
        guard FileManager.default.fileExists(atPath: database) else {
            throw QoltanbaError.operatorFailure("there is no database at '\(database)' to back up")
        }
        guard !FileManager.default.fileExists(atPath: file) else {
            throw QoltanbaError.operatorFailure("'\(file)' exists: a backup is written to a new file")
        }
        // Written beside the target, readable by its owner only (it holds personal data and sealed
        // keys), and renamed into place when complete: FILE is never a partial copy.
        let partial = "\(file).partial-\(UUID().uuidString.prefix(8))"
        // Made 0600 in one call, new (never an existing file or a link), before anything is written.
        let descriptor = open(partial, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw QoltanbaError.operatorFailure("cannot create '\(partial)': check that the folder exists and is writable")
        }
        close(descriptor)
        do {
            try await app.stores.copySQLite(into: partial)
            try FileManager.default.moveItem(atPath: partial, toPath: file)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw QoltanbaError.operatorFailure("the backup failed: \(error)")
        }
        Output.result(file)
        Output.message(
            "backed up \(database) to \(file); the master key is not in it: keep QOLTANBA_MASTER_KEY (in the sandbox, the data folder's master.key) safe apart from it")
    }
}
