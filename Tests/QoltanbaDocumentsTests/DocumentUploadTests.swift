import QoltanbaCore
import QoltanbaDocuments
import Testing

@Suite("Document uploads")
struct DocumentUploadTests {
    /// A one-page PDF: a signature sheet.
    static let pdf = try! StampingTests.sheet().pdf()

    func check(_ content: [UInt8], name: String = "doc.pdf", type: DocumentType = .pdf, limit: Int = 1 << 20) throws {
        _ = try DocumentUpload(name: name, content: content, fileField: "file", type: type, maximumBytes: limit)
    }

    @Test("a complete PDF passes and the name is trimmed")
    func validPDF() throws {
        let upload = try DocumentUpload(
            name: "  Договор №1.pdf ", content: Self.pdf, fileField: "file", type: .pdf, maximumBytes: 1 << 20)
        #expect(upload.name == "Договор №1.pdf")
        #expect(upload.content == Self.pdf)
    }

    @Test("empty, too large, not a PDF, truncated: each named")
    func invalidPDFs() {
        #expect(throws: QoltanbaError.invalidField("file", "the file is empty")) { try check([]) }
        #expect(throws: QoltanbaError(.fileTooLarge, "file: the file is \(Self.pdf.count) bytes, larger than the limit of 10 bytes")) {
            try check(Self.pdf, limit: 10)
        }
        #expect(throws: QoltanbaError.self) { try check(Array("<?xml version=\"1.0\"?><a/>".utf8)) }
        #expect(throws: QoltanbaError.self) { try check(Array(Self.pdf.prefix(40))) }
        #expect(throws: QoltanbaError.self) { try check(Array("%PDF-9.1 nonsense %%EOF startxref".utf8)) }
    }

    @Test("names: not empty, not too long, no control characters")
    func names() {
        #expect(throws: QoltanbaError.invalidField("name", "must not be empty")) { try check(Self.pdf, name: "   ") }
        #expect(throws: QoltanbaError.self) { try check(Self.pdf, name: String(repeating: "я", count: 256)) }
        #expect(throws: QoltanbaError.self) { try check(Self.pdf, name: "a\u{0}b.pdf") }
    }

    @Test("XML must be well-formed and carry no DOCTYPE")
    func xml() throws {
        try check(Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><doc><қол>Қолтаңба</қол></doc>".utf8), name: "a.xml", type: .xml)
        for broken in ["<doc><a></doc>", "<doc>", "<a></a><b/>", "<a b=1/>", "text"] {
            #expect(throws: QoltanbaError.self, "\(broken)") { try check(Array(broken.utf8), name: "a.xml", type: .xml) }
        }
        // The detail says where the document breaks.
        let error = #expect(throws: QoltanbaError.self) {
            try check(Array("<doc>\n<a></doc>".utf8), name: "a.xml", type: .xml)
        }
        #expect(error?.code == .invalidField)
        #expect(error?.detail.hasPrefix("file: not a well-formed XML document (line 2: ") == true, "\(String(describing: error))")
        #expect(throws: QoltanbaError.self) { try check(Self.pdf, name: "a.xml", type: .xml) }
        let entities = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]><d>&a;</d>"
        #expect(throws: QoltanbaError.invalidField("file", "XML documents with a DOCTYPE declaration are not accepted")) {
            try check(Array(entities.utf8), name: "a.xml", type: .xml)
        }
        #expect(throws: QoltanbaError.self) { try check([0xff, 0xfe, 0x3c, 0x00], name: "a.xml", type: .xml) }
    }
}
