import NIOConcurrencyHelpers
import Vapor

/// Background work that runs every few seconds while the application runs. It is started through
/// ``BackgroundWork``, which stops every job at shutdown. A failed round is logged and the next
/// one runs as usual.
final class RepeatingJob: Sendable {
    let name: String
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
    fileprivate func start(_ app: Application) {
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

    /// Cancels the loop and waits for the round in progress to end.
    fileprivate func stop() async {
        let running = task.withLockedValue { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}

/// Every background job of a server process, with one way to stop them: at shutdown all are
/// cancelled at once and awaited, each finishing the round it is in.
final class BackgroundWork: LifecycleHandler, Sendable {
    private let jobs = NIOLockedValueBox<[RepeatingJob]>([])

    /// Starts a job on `app`; it stops when the application shuts down.
    func start(_ job: RepeatingJob, on app: Application) {
        jobs.withLockedValue { $0.append(job) }
        job.start(app)
        app.logger.debug("background job started", metadata: ["job": "\(job.name)"])
    }

    func shutdownAsync(_ application: Application) async {
        let running = jobs.withLockedValue { jobs in
            defer { jobs = [] }
            return jobs
        }
        await withTaskGroup(of: Void.self) { group in
            for job in running { group.addTask { await job.stop() } }
        }
    }
}

extension Application {
    /// The process's background jobs, stopped together at shutdown (made by `configure`).
    var background: BackgroundWork {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
