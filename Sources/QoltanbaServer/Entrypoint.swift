import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

/// The `qoltanba` executable: reads the configuration, sends every log line to standard error
/// (standard output carries command results only), and runs the requested command.
public enum Entrypoint {
    /// Runs the command line's command and returns the process's exit status.
    public static func main() async -> Int32 {
        // Swift concurrency's jobs run on NIO's event loops instead of a pool of their own, so a
        // request does not hop between threads at every await (measured: most of the time an API
        // request spent was thread switches). Nothing here blocks an event loop with `.wait()`.
        let onEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let configuration: QoltanbaConfiguration
        do {
            configuration = try QoltanbaConfiguration.fromProcessEnvironment()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
        let (level, format) = (configuration.logLevel, configuration.logFormat)
        LoggingSystem.bootstrap { label in ScrubbedLogHandler.make(label: label, level: level, format: format) }

        let app: Application
        do {
            app = try await Application.make(try Environment.detect())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
        app.logger.debug("Swift concurrency on the event loops", metadata: ["installed": "\(onEventLoops)"])
        var status: Int32 = 0
        do {
            try await configure(app, with: configuration)
            try await app.startup()
            try await app.running?.onStop.get()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            status = 1
        }
        try? await app.asyncShutdown()
        return status
    }
}
