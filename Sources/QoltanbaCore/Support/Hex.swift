extension Collection where Element == UInt8 {
    /// Whether these bytes equal `other`, compared in a time that depends on the lengths only (for
    /// secrets, codes and their hashes): every byte is looked at, whatever the first difference.
    public func equalsInConstantTime(_ other: some Collection<UInt8>) -> Bool {
        count == other.count && zip(self, other).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Sequence where Element == UInt8 {
    /// The bytes in lower-case hex, e.g. a SHA-256 digest as stored and shown.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
