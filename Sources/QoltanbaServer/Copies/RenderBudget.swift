import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QoltanbaCore
import Vapor

/// Runs work on outside bytes that C libraries do (qpdf checking or stamping a PDF, cairo drawing
/// a sheet) on the application's thread pool, never on an event loop, within a time budget.
///
/// Past the budget the caller gets ``QoltanbaError/Code/documentTooComplex`` at once and nothing
/// made is used (fail closed); the thread finishes the call in the background, since a C call
/// cannot be interrupted, and its result is dropped.
struct RenderBudget: Sendable {
    let threadPool: NIOThreadPool
    let eventLoop: any EventLoop
    let timeout: TimeAmount

    /// The result of `work`, or an error when it throws or takes longer than the budget.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let pending = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
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
            threadPool.submit { state in
                let result: Result<T, any Error> = state == .active
                    ? Result { try work() } : .failure(QoltanbaError(.serviceUnavailable, "the server is shutting down"))
                deadline.cancel()
                finish(result)
            }
        }
    }
}

extension Application {
    /// The time budget for document work, from `QOLTANBA_RENDER_TIMEOUT_SECONDS`.
    var renderBudget: RenderBudget {
        RenderBudget(
            threadPool: threadPool, eventLoop: eventLoopGroup.next(), timeout: .seconds(Int64(qoltanba.renderTimeout)))
    }
}
