import NIOConcurrencyHelpers
import NIOPosix
import QoltanbaCore
import Vapor

/// Threads of their own for CPU-heavy work (C libraries on documents, scrypt), never an event loop,
/// with a cap on work in progress: past it work is refused at once (``QoltanbaError/Code/busy``,
/// a 503 with `Retry-After`) instead of queueing without end.
final class WorkerPool: LifecycleHandler, Sendable {
    let pool: NIOThreadPool
    /// The most work in progress at once, running or waiting for a thread.
    let capacity: Int
    /// Work admitted and not yet finished.
    private let inProgress = NIOLockedValueBox(0)
    private let name: String

    init(_ name: String, threads: Int, capacity: Int) {
        self.name = name
        self.pool = NIOThreadPool(numberOfThreads: threads)
        self.capacity = capacity
        pool.start()
    }

    /// Admits one piece of work, or says there is no room.
    func admit() -> Bool {
        let admitted: Int? = inProgress.withLockedValue { count in
            guard count < capacity else { return nil }
            count += 1
            return count
        }
        if let admitted { QoltanbaMetrics.pool(name, inUse: admitted) }
        return admitted != nil
    }

    func finished() {
        QoltanbaMetrics.pool(name, inUse: inProgress.withLockedValue { count in
            count -= 1
            return count
        })
    }

    /// The result of `work`, run on the pool; refused when the pool is full.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard admit() else {
            throw QoltanbaError(.busy, "too much \(name) work is in progress at once; try again shortly")
        }
        defer { finished() }
        return try await pool.runIfActive(work)
    }

    func shutdownAsync(_ application: Application) async {
        try? await pool.shutdownGracefully()
    }
}

extension Application {
    /// The threads password-based key work (scrypt) runs on: made at configuration, stopped at shutdown.
    var keyWorkers: KeyWorkers {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}

/// The pool of password-based key work, a type of its own so that it has a storage slot of its own.
struct KeyWorkers: Sendable {
    let pool: WorkerPool
}
