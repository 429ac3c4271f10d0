import NIOConcurrencyHelpers
import Vapor

/// Background work that runs every few seconds while the application runs: started once,
/// cancelled and awaited at shutdown. A failed round is logged and the next one runs as usual.
final class RepeatingJob: LifecycleHandler, Sendable {
    private let name: String
    private let interval: Duration
    private let work: @Sendable (Application) async throws -> Void
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// A job called `name` (for the log) doing `work` every `interval`.
    init(_ name: String, every interval: Duration, work: @escaping @Sendable (Application) async throws -> Void) {
        self.name = name
        self.interval = interval
        self.work = work
    }

    /// Starts the loop; a second call does nothing.
    func start(_ app: Application) {
        task.withLockedValue { task in
            guard task == nil else { return }
            let (name, interval, work) = (self.name, self.interval, self.work)
            task = Task {
                while !Task.isCancelled {
                    do {
                        try await work(app)
                    } catch {
                        app.logger.warning("\(name) failed", metadata: ["error": "\(String(reflecting: error))"])
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
