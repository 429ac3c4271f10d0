import CXMLCheck
import Foundation

/// Checks that bytes are a well-formed XML document, with libxml2.
///
/// The parse never reaches the network, never loads a DTD and never substitutes entities.
enum XMLWellFormedness {
    /// Nil for a well-formed document, else what is wrong and where, e.g.
    /// `line 3: Opening and ending tag mismatch: a line 1 and doc`.
    static func problem(in bytes: some ContiguousBytes) -> String? {
        var line: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let wellFormed = bytes.withUnsafeBytes { raw in
            qoltanba_xml_is_well_formed(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &line, &message, message.count)
        }
        guard wellFormed == 0 else { return nil }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return "line \(line): \(text.isEmpty ? "unreadable" : text)"
    }
}
