import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QoltanbaCore
import Vapor

/// A time budget on the document workers (``WorkerPool``): qpdf checking or stamping a PDF,
/// libxml2 reading an XML, cairo drawing a sheet, never on an event loop.
///
/// Past the budget the caller gets ``QoltanbaError/Code/documentTooComplex`` at once and nothing
/// made is used (fail closed). Work not yet begun is then skipped; work begun finishes in the
/// background (a C call cannot be interrupted) and counts against the pool's cap until it does, so
/// slow documents fill the cap and further ones are refused (503) instead of queueing without end.
struct RenderBudget: Sendable {
    let workers: WorkerPool
    let eventLoop: any EventLoop
    let timeout: TimeAmount

    /// The result of `work`, or an error when it throws, takes longer than the budget, or finds no room.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard workers.admit() else {
            throw QoltanbaError(.busy, "too many documents are being processed at once; try again shortly")
        }
        let pending = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
        /// Resumes the caller once: the work's result or the budget's end, whichever comes first.
        @Sendable func finish(_ result: Result<T, any Error>) {
            let continuation = pending.withLockedValue { continuation in
                defer { continuation = nil }
                return continuation
            }
            continuation?.resume(with: result)
        }
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLockedValue { $0 = continuation }
            let seconds = timeout.nanoseconds / 1_000_000_000
            let deadline = eventLoop.scheduleTask(in: timeout) {
                finish(.failure(QoltanbaError(
                    .documentTooComplex,
                    "the document could not be processed within \(seconds) seconds (QOLTANBA_RENDER_TIMEOUT_SECONDS)")))
            }
            workers.pool.submit { state in
                defer { workers.finished() }
                // Abandoned before it began: nobody waits for it any more.
                guard pending.withLockedValue({ $0 != nil }) else { return }
                let result: Result<T, any Error> = state == .active
                    ? Result { try work() } : .failure(QoltanbaError(.serviceUnavailable, "the server is shutting down"))
                deadline.cancel()
                finish(result)
            }
        }
    }
}

extension Application {
    /// The threads documents are checked and stamped on: made at configuration, stopped at shutdown.
    var renderWorkers: WorkerPool {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }

    /// The time budget for document work, from `QOLTANBA_RENDER_TIMEOUT_SECONDS`.
    var renderBudget: RenderBudget {
        RenderBudget(workers: renderWorkers, eventLoop: eventLoopGroup.next(), timeout: .seconds(Int64(qoltanba.renderTimeout)))
    }
}
