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
        for text in ["a", "abcde", "ab$d", "Ωmega==", "YW*=", "Q/=a", "QQ==QQ==", "==", "A==="] {
            #expect(Base64Text.decode(text) == nil, "\(text)")
        }
        #expect(Base64URL.decode("a+b/") == nil)
    }
}

@Suite("Base64 decoded in pieces")
struct Base64DecoderTests {
    /// What the decoder must agree with: Foundation's decoder after the cleaning that
    /// ``Base64Text`` promises (whitespace dropped, the URL-safe alphabet mapped, padding added),
    /// save that padding must end the text and follow two or three symbols of the last group
    /// (Foundation reads `Q/=a` as two bytes and `==` as one; we refuse both).
    static func reference(_ text: String) -> [UInt8]? {
        var rest = Substring(text)
        if rest.hasPrefix("data:"), let comma = rest.firstIndex(of: ",") { rest = rest[rest.index(after: comma)...] }
        let kept = rest.unicodeScalars.filter { !$0.properties.isWhitespace }
        guard kept.allSatisfy(\.isASCII) else { return nil }
        var cleaned = String(String.UnicodeScalarView(kept)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let symbols = cleaned.prefix { $0 != "=" }.count
        guard cleaned.utf8.count % 4 != 1, symbols == cleaned.count || symbols % 4 >= 2,
              !cleaned.dropFirst(symbols).contains(where: { $0 != "=" })
        else { return nil }
        while cleaned.utf8.count % 4 != 0 { cleaned += "=" }
        return Data(base64Encoded: cleaned).map(Array.init)
    }

    @Test("random texts decode as Foundation decodes them, whatever the pieces they arrive in")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("AQgw+/-_= \n\r\t.*:,data\u{00A0}é".unicodeScalars)
        for _ in 0..<5000 {
            let length = Int.random(in: 0...14, using: &generator)
            var text = String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int.random(in: alphabet.indices, using: &generator)] }))
            if Bool.random(using: &generator) { text = Data((0..<length).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }
            let expected = Self.reference(text)
            #expect(Base64Text.decode(text) == expected, "\(text.debugDescription)")
            let bytes = Array(text.utf8)
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            var decoder = Base64Decoder()
            decoder.feed(bytes[..<cut])
            var taken = decoder.output
            decoder.output = []
            decoder.feed(bytes[cut...])
            let valid = decoder.finish()
            taken += decoder.output
            #expect((valid ? taken : nil) == expected, "\(text.debugDescription) cut at \(cut)")
        }
    }

    @Test("a byte at a time, a megabyte decodes to what was encoded")
    func byteByByte() {
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let text = Array(Data(bytes).base64EncodedString(options: .lineLength76Characters).utf8)
        var decoder = Base64Decoder()
        for byte in text { decoder.feed(CollectionOfOne(byte)) }
        let valid = decoder.finish()
        #expect(valid)
        #expect(decoder.output == bytes)
    }
}
