import Foundation
@testable import QoltanbaDocuments
import Testing

@Suite("Camera frames")
struct ImageFrameTests {
    /// A truecolour PNG with its pixels in stored (uncompressed) deflate blocks.
    static func png(width: Int, height: Int) -> [UInt8] {
        func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(data.count) + body + be32(Int(CRC32.checksum(body[...])))
        }
        let raw = (0..<height).flatMap { y in [UInt8(0)] + (0..<width * 3).map { UInt8(truncatingIfNeeded: $0 ^ y) } }
        var deflate: [UInt8] = [0x78, 0x01]
        var rest = raw[...]
        repeat {
            let block = rest.prefix(65535)
            rest = rest.dropFirst(block.count)
            deflate += [rest.isEmpty ? 1 : 0, UInt8(block.count & 0xFF), UInt8(block.count >> 8),
                        UInt8(~block.count & 0xFF), UInt8((~block.count >> 8) & 0xFF)] + block
        } while !rest.isEmpty
        var a = 1, b = 0
        for byte in raw { a = (a + Int(byte)) % 65521; b = (b + a) % 65521 }
        deflate += be32(b << 16 | a)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
            + chunk("IDAT", deflate) + chunk("IEND", [])
    }

    /// A JPEG's structure: start, a baseline frame header, a scan header, scan bytes, end.
    static func jpeg(width: Int, height: Int, end: Bool = true) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xC0, 0x00, 0x0B, 8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 1, 1, 0x11, 0]
            + [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0] + [0x12, 0x34, 0x56, 0x78]
            + (end ? [0xFF, 0xD9] : [])
    }

    @Test("whole PNG and JPEG images of a sane size are frames")
    func accepted() throws {
        let png = try #require(ImageFrame(Self.png(width: 96, height: 72)))
        #expect(png.format == .png && png.width == 96 && png.height == 72)
        let jpeg = try #require(ImageFrame(Self.jpeg(width: 640, height: 480)))
        #expect(jpeg.format == .jpeg && jpeg.width == 640 && jpeg.height == 480)
    }

    @Test("garbage, truncated or damaged images and tiny ones are not")
    func refused() {
        var damaged = Self.png(width: 96, height: 72)
        damaged[40] ^= 0xFF  // inside IDAT: its CRC no longer matches
        let cases: [[UInt8]] = [
            [], Array("not an image".utf8), Array(repeating: 0xFF, count: 100),
            Array(Self.png(width: 96, height: 72).dropLast(12)),  // no IEND
            damaged,
            Self.png(width: 8, height: 8),  // too small to show a face
            Self.jpeg(width: 640, height: 480, end: false),
            Self.jpeg(width: 20, height: 480),
            Array(Self.jpeg(width: 640, height: 480).prefix(24)),
        ]
        for bytes in cases { #expect(ImageFrame(bytes) == nil, "\(bytes.prefix(16))") }
    }
}
