import QoltanbaCore
import Testing

@Suite("Hex")
struct HexTests {
    @Test("bytes as lower-case hex, two digits each")
    func hex() {
        #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).hexString == "000fa0ff")
        #expect([UInt8]().hexString == "")
    }
}
