/// A camera frame or photo: checks that bytes are a whole JPEG or PNG image of a sane size, by
/// walking the format's structure (JPEG markers up to the scan and the end marker; PNG chunks
/// with their CRCs, from the header to the end chunk).
public struct ImageFrame: Hashable, Sendable {
    /// The two formats accepted.
    public enum Format: String, Hashable, Sendable {
        case jpeg, png
    }

    /// The format.
    public let format: Format
    /// Width and height in pixels.
    public let width: Int, height: Int

    /// The smallest and largest side accepted, in pixels.
    public static let sides = 64...4096
    /// The largest frame accepted, in bytes.
    public static let maximumBytes = 4 * 1024 * 1024

    /// Reads the image's format and size; nil when the bytes are not a whole JPEG or PNG of a sane size.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count <= Self.maximumBytes,
              let (format, width, height) = Self.jpeg(bytes) ?? Self.png(bytes),
              Self.sides.contains(width), Self.sides.contains(height)
        else { return nil }
        self.format = format
        self.width = width
        self.height = height
    }

    private static func jpeg(_ b: [UInt8]) -> (Format, Int, Int)? {
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8, b[b.count - 2] == 0xFF, b[b.count - 1] == 0xD9 else { return nil }
        var i = 2
        var size: (Int, Int)?
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            // Start of frame (baseline, progressive, …; not DHT, JPG or DAC).
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard length >= 7 else { return nil }
                size = (Int(b[i + 7]) << 8 | Int(b[i + 8]), Int(b[i + 5]) << 8 | Int(b[i + 6]))
            }
            if marker == 0xDA {  // start of scan: the image data follows
                guard let (width, height) = size, b.count > i + 2 + length + 2 else { return nil }
                return (.jpeg, width, height)
            }
            i += 2 + length
        }
        return nil
    }

    private static func png(_ b: [UInt8]) -> (Format, Int, Int)? {
        guard b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func integer(_ at: Int) -> Int { b[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var i = 8
        var size: (Int, Int)?
        var sawData = false
        while i + 12 <= b.count {
            let length = integer(i)
            let type = String(decoding: b[i + 4..<i + 8], as: UTF8.self)
            guard length <= b.count - i - 12, CRC32.checksum(b[i + 4..<i + 8 + length]) == UInt32(integer(i + 8 + length))
            else { return nil }
            switch type {
            case "IHDR" where i == 8 && length == 13: size = (integer(i + 8), integer(i + 12))
            case "IDAT": sawData = true
            case "IEND":
                guard let (width, height) = size, sawData, i + 12 == b.count else { return nil }
                return (.png, width, height)
            default: guard size != nil else { return nil }
            }
            i += 12 + length
        }
        return nil
    }
}

/// The CRC-32 of PNG chunks (ISO 3309, as zlib computes it).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { table[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }
}
