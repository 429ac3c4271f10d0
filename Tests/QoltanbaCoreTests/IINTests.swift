import QoltanbaCore
import Testing

@Suite("IIN")
struct IINTests {
    @Test("accepts valid IINs, including one that needs the second weight pass",
          arguments: ["871008401427", "760212350620", "800416300257", "900101300007", "900101300811",
                      "850515400002", "000229500008"])
    func acceptsValid(_ text: String) throws {
        let iin = try IIN(text)
        #expect(iin.digits == text)
    }

    @Test("900101300811 needs the second pass: the first weights give 10")
    func secondPass() {
        let first11 = "90010130081".map { Int(String($0))! }
        let firstPass = zip(first11, 1...11).reduce(0) { $0 + $1.0 * $1.1 } % 11
        #expect(firstPass == 10)
        #expect(IIN.controlDigit(of: first11) == 1)
    }

    @Test("an 11-digit prefix that gives 10 on both passes has no control digit")
    func neverIssued() {
        #expect(IIN.controlDigit(of: "90010130080".map { Int(String($0))! }) == nil)
        for last in 0...9 {
            #expect(throws: QoltanbaError.self) { try IIN("90010130080\(last)") }
        }
    }

    @Test("refuses a wrong control digit, naming the field")
    func wrongChecksum() {
        #expect(throws: QoltanbaError.invalidField("iin", "the control digit does not match, the IIN is mistyped")) {
            try IIN("871008401428")
        }
    }

    @Test("refuses anything but exactly 12 ASCII digits",
          arguments: ["", "87100840142", "8710084014270", "87100840142a", " 871008401427", "８７１００８４０１４２７"])
    func wrongShape(_ text: String) {
        #expect(throws: QoltanbaError.invalidField("iin", "must be exactly 12 digits")) { try IIN(text) }
    }

    @Test("refuses an impossible birth date or century digit even with a matching control digit")
    func impossibleDate() throws {
        for prefix in ["87130840142", "87100800142", "87100870142", "01022950000"] {
            let digits = prefix.map { Int(String($0))! }
            guard let control = IIN.controlDigit(of: digits) else { continue }
            #expect(throws: QoltanbaError.self) { try IIN(prefix + String(control)) }
        }
    }

    @Test("the masked form hides the middle, and interpolation never shows the whole number")
    func masking() throws {
        let iin = try IIN("871008401427")
        #expect(iin.masked == "8710******27")
        #expect("\(iin)" == "8710******27")
    }
}

@Suite("Phone numbers")
struct PhoneNumberTests {
    @Test("accepts 77 followed by nine digits")
    func valid() throws {
        #expect(try PhoneNumber("77011234567").digits == "77011234567")
        #expect(try PhoneNumber("77011234567").masked == "7701***4567")
    }

    @Test("refuses other shapes",
          arguments: ["", "7701123456", "770112345678", "87011234567", "+77011234567", "7701123456a", "7*********"])
    func invalid(_ text: String) {
        #expect(throws: QoltanbaError.invalidField("phone", "must be 77 followed by 9 digits, e.g. 77011234567")) {
            try PhoneNumber(text)
        }
    }
}

@Suite("Document types")
struct DocumentTypeTests {
    @Test("accepts the API reference's spellings", arguments: [
        ("pdf", DocumentType.pdf), (".pdf", .pdf), ("PDF", .pdf), ("xml", .xml), (".xml", .xml), (".XML", .xml),
    ])
    func spellings(_ text: String, _ expected: DocumentType) throws {
        #expect(try DocumentType(parsing: text) == expected)
    }

    @Test("refuses anything else", arguments: ["", "docx", "..pdf", "pdf ", "application/pdf"])
    func invalid(_ text: String) {
        #expect(throws: QoltanbaError.self) { try DocumentType(parsing: text) }
    }
}
