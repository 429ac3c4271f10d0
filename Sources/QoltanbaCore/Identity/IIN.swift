/// A Kazakh individual identification number: 12 digits, the birth date, a century and sex digit,
/// four registration digits and a control digit.
///
/// The control digit is `Σ d[i]·w[i] mod 11` with weights 1…11; when that gives 10 the weights
/// 3…11, 1, 2 are used instead; a number whose second pass also gives 10 is never issued.
public struct IIN: Hashable, Sendable, CustomStringConvertible {
    /// The 12 digits.
    public let digits: String

    private static let firstWeights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    private static let secondWeights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]

    /// Parses and validates an IIN.
    /// - Throws: ``QoltanbaError`` with code `invalidField` naming `iin` and what is wrong.
    public init(_ text: String) throws(QoltanbaError) {
        let values = text.utf8.map { Int($0) - 48 }
        guard values.count == 12, values.allSatisfy({ (0...9).contains($0) }) else {
            throw .invalidField("iin", "must be exactly 12 digits")
        }
        guard let control = Self.controlDigit(of: Array(values.prefix(11))), control == values[11] else {
            throw .invalidField("iin", "the control digit does not match, the IIN is mistyped")
        }
        guard Self.hasValidBirthDate(values) else {
            throw .invalidField("iin", "the first seven digits are not a valid birth date and century")
        }
        self.digits = text
    }

    /// The control digit for the first 11 digits, or nil when such a number is never issued.
    public static func controlDigit(of first11: [Int]) -> Int? {
        precondition(first11.count == 11)
        for weights in [firstWeights, secondWeights] {
            let sum = zip(first11, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11
            if sum != 10 { return sum }
        }
        return nil
    }

    private static func hasValidBirthDate(_ d: [Int]) -> Bool {
        let century: Int
        switch d[6] {
        case 1, 2: century = 1800
        case 3, 4: century = 1900
        case 5, 6: century = 2000
        default: return false
        }
        let year = century + d[0] * 10 + d[1]
        let month = d[2] * 10 + d[3]
        let day = d[4] * 10 + d[5]
        guard (1...12).contains(month), day >= 1 else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// The IIN with its middle six digits hidden, e.g. `8710******27`: the only form that may
    /// appear in logs, pages and copies.
    public var masked: String {
        String(digits.prefix(4)) + "******" + String(digits.suffix(2))
    }

    /// The masked form, so that string interpolation never leaks the whole number.
    public var description: String { masked }
}
