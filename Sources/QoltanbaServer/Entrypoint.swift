import Foundation
import Logging
import Vapor

/// The `qoltanba` executable: reads the configuration, sends every log line to standard error
/// (standard output carries command results only), and runs the requested command.
public enum Entrypoint {
    /// Runs the command line's command and returns the process's exit status.
    public static func main() async -> Int32 {
        let configuration: QoltanbaConfiguration
        do {
            configuration = try QoltanbaConfiguration.fromProcessEnvironment()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }

        let app: Application
        do {
            app = try await Application.make(try Environment.detect())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
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
