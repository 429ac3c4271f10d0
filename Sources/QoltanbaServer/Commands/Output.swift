import Foundation
import QoltanbaCore

/// Operator command output: the result alone on standard output, everything else on standard error.
enum Output {
    static func result(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func message(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension QoltanbaError {
    /// A mistake in an operator command's use, reported as `error: …` with a non-zero exit.
    static func operatorFailure(_ text: String) -> QoltanbaError {
        QoltanbaError(.operatorError, text)
    }
}
