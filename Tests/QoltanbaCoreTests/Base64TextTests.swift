import Foundation
import QoltanbaCore
import Testing

@Suite("Base64 texts")
struct Base64TextTests {
    @Test("standard and URL-safe, padded or not, with whitespace or a data: prefix, all decode to the same bytes")
    func forms() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let standard = Data(bytes).base64EncodedString()
            let urlSafe = Base64URL.encode(bytes)
            let wrapped = Data(bytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithCarriageReturn])
            for text in [standard, urlSafe, wrapped, " \(standard)\n", "data:application/pdf;base64,\(standard)", "\u{00A0}\(standard)\u{2028}"] {
                #expect(Base64Text.decode(text) == bytes, "\(text.debugDescription)")
            }
            #expect(Base64URL.decode(urlSafe) == bytes)
        }
    }

    @Test("anything else is nil")
    func refused() {
        for text in ["a", "abcde", "ab$d", "Ωmega==", "YW*="] {
            #expect(Base64Text.decode(text) == nil, "\(text)")
        }
        #expect(Base64URL.decode("a+b/") == nil)
    }
}
