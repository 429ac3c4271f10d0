import Foundation

/// The rules for a document's display name, which reaches the signing page, the signature sheet,
/// archive entries and the check page: Unicode NFC, and none of the characters that make a name
/// show other than it reads (`invoice\u{202E}fdp.bat` shows as `invoice‮fdp.bat`…`tab.pdf`).
public enum DocumentName {
    /// Whether a character may not appear in a name: controls, format characters (bidi overrides
    /// and isolates, zero-width spaces and joiners, the byte order mark), line and paragraph
    /// separators, surrogates, private-use and unassigned code points.
    public static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }

    /// The name in NFC without refused characters: for names stored before these rules.
    public static func cleaned(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: name.precomposedStringWithCanonicalMapping.unicodeScalars.filter { !isRefused($0) })
        return String(scalars)
    }

    /// `name` ending in `.extension` (any case): as it is when it does, else with the extension
    /// added, so that a file never seems another type than it is (`invoice.bat` → `invoice.bat.pdf`).
    public static func withExtension(_ name: String, _ fileExtension: String) -> String {
        name.lowercased().hasSuffix("." + fileExtension) ? name : name + "." + fileExtension
    }
}
