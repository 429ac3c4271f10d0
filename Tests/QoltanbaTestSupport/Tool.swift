import Foundation
import QoltanbaCore

/// Runs a command-line tool of the machine (openssl, unzip, qpdf) for tests that check with it.
public enum Tool {
    /// Runs `executable` with `arguments` in `directory`; its exit status and its output (standard
    /// output, and standard error when `errors`).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, errors: Bool = false) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        if errors { process.standardError = pipe }
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
