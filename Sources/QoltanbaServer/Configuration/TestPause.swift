import Foundation
import Logging
import QoltanbaPersistence

/// A named point where the crash tests hold a sandbox process so as to kill it there with SIGKILL:
/// `QOLTANBA_TEST_PAUSE=signing-commit:30` waits 30 s each time the point is reached, after
/// logging `paused for a test` with the point's name. Production refuses the variable.
enum PausePoint: String, CaseIterable, Sendable {
    /// The documents are signed; the transaction that stores the signatures and finishes the
    /// session has not begun.
    case signingCommit = "signing-commit"
    /// A certificate is issued and stored; the signing flow does not know it yet.
    case certificateStored = "certificate-stored"
    /// A migration's changes are made; its entry in `_fluent_migrations` is not, and neither is
    /// committed.
    case migrationApplied = "migration-applied"
    /// The first copy of an archive is stored and in the archive; the archive is not complete.
    case archiveStarted = "archive-started"
}

/// Where and how long a process pauses (`QOLTANBA_TEST_PAUSE`).
struct TestPause: Sendable, Equatable {
    let point: PausePoint
    let seconds: Double

    /// Reads `point:seconds`.
    init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let point = PausePoint(rawValue: parts[0]), let seconds = Double(parts[1]), seconds > 0, seconds <= 600
        else { return nil }
        (self.point, self.seconds) = (point, seconds)
    }

    /// Pauses when `point` is this one.
    static func at(_ point: PausePoint, _ pause: TestPause?, logger: Logger) async {
        guard let pause, pause.point == point else { return }
        logger.notice("paused for a test", metadata: ["point": "\(point.rawValue)"])
        try? await Task.sleep(for: .seconds(pause.seconds))
    }
}
