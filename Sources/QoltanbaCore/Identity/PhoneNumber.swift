/// A Kazakh mobile number in the API reference's format: `77` followed by nine digits.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    /// The eleven digits, e.g. `77011234567`.
    public let digits: String

    /// Parses and validates a phone number.
    /// - Throws: ``QoltanbaError`` with code `invalidField` naming `phone`.
    public init(_ text: String) throws(QoltanbaError) {
        guard text.utf8.count == 11, text.hasPrefix("77"), text.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw .invalidField("phone", "must be 77 followed by 9 digits, e.g. 77011234567")
        }
        self.digits = text
    }

    /// The number with the subscriber digits hidden, e.g. `7701***4567`.
    public var masked: String {
        String(digits.prefix(4)) + "***" + String(digits.suffix(4))
    }

    /// The masked form, so that interpolation never shows the whole number.
    public var description: String { masked }
}
