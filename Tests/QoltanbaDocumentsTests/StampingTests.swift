import Foundation
import QoltanbaTestSupport
import QoltanbaCore
import QoltanbaDocuments
import Testing

/// A temporary folder, with the command-line PDF tools run in it.
struct Folder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-pdf-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url.appendingPathComponent(name)))
    }

    /// Runs `/usr/bin/<tool>`; its standard output and error together.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Tool.run("/usr/bin/\(tool)", arguments, in: url, errors: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

@Suite("Stamped copies")
struct StampingTests {
    static let captions = SignatureSheet.Captions(
        title: "Электрондық қолтаңбалар парағы / Лист электронных подписей", document: "Құжат / Документ",
        sha256: "SHA-256", signers: "Қол қойғандар / Подписанты", iin: "ЖСН / ИИН", signedAt: "Уақыты / Время",
        serial: "Сериялық нөмір / Серийный номер", issuer: "Берген / Издатель", check: "Тексеру / Проверка")

    static func sheet(name: String = "Шарт №1.pdf", signers: Int = 2, url: String = "https://sign.example.kz/check/5c9e") -> SignatureSheet {
        SignatureSheet(
            captions: captions, documentName: name, sha256: String(repeating: "ab", count: 32),
            signers: (0..<signers).map { index in
                .init(name: index == 0 ? "НҰРЛАНОВА ӘСЕЛ ҚАЙРАТҚЫЗЫ" : "ӨТЕГЕНОВ ЖОМАРТ СЕРІКҰЛЫ", maskedIIN: "8710******27",
                      signedAt: "2026-11-27 14:05:09 (UTC+05:00)", serial: "6561DAD57550CC37A8D0EF2E84F07B9F",
                      issuer: "CN=Qoltanba Sandbox Issuing CA")
            },
            checkURL: url, date: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("a copy has one page more, passes qpdf --check, names its DocumentId, prints the signers in Kazakh, and its QR opens the check page")
    func stampedCopy() throws {
        let folder = try Folder()
        defer { folder.remove() }
        // Two sheets stamped one after the other make a two-page original.
        let original = try PDFStamper.stamp(try Self.sheet(name: "original").pdf(), sheet: try Self.sheet(name: "second page").pdf(), documentID: "x")
        #expect(try PDFStamper.inspect(original).pages == 2)
        let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        let copy = try PDFStamper.stamp(original, sheet: try Self.sheet().pdf(), documentID: id)
        try folder.write("copy.pdf", copy)

        #expect(try folder.run("qpdf", ["--check", "copy.pdf"]).status == 0)
        let pages = try folder.run("pdfinfo", ["copy.pdf"]).output
        #expect(pages.range(of: #"Pages:\s+3\n"#, options: .regularExpression) != nil, "\(pages)")
        let info = try folder.run("pdfinfo", ["-custom", "copy.pdf"]).output
        #expect(info.range(of: #"DocumentId:\s+\#(id)"#, options: .regularExpression) != nil, "\(info)")
        let inspection = try PDFStamper.inspect(copy)
        #expect(inspection.pages == 3 && inspection.documentID == id && !inspection.encrypted)

        let text = try folder.run("pdftotext", ["-f", "3", "-l", "3", "copy.pdf", "-"]).output
        for expected in ["НҰРЛАНОВА ӘСЕЛ ҚАЙРАТҚЫЗЫ", "ӨТЕГЕНОВ ЖОМАРТ СЕРІКҰЛЫ", "8710******27", "Шарт №1.pdf", String(repeating: "ab", count: 32)] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        try folder.run("pdftoppm", ["-png", "-r", "150", "-f", "3", "-l", "3", "-singlefile", "copy.pdf", "page"])
        let qr = try folder.run("zbarimg", ["--raw", "-q", "page.png"])
        // zbarimg may complain about D-Bus on standard error; the decoded text is a line of its own.
        #expect(qr.status == 0 && qr.output.split(separator: "\n").contains("https://sign.example.kz/check/5c9e"), "\(qr.output)")

        // The same inputs make the same bytes, so a copy can be recognised by making it again.
        #expect(try PDFStamper.stamp(original, sheet: try Self.sheet().pdf(), documentID: id) == copy)
    }

    @Test("a long name wraps; many signers continue onto further pages, all appended, the QR on the last; the QR matrix is square")
    func manySigners() throws {
        #expect(try PDFStamper.inspect(try Self.sheet(name: String(repeating: "Өте ұзын құжат атауы ", count: 12), signers: 1).pdf()).pages == 1)
        let pdf = try Self.sheet(signers: 1).pdf()
        let long = try Self.sheet(signers: 25).pdf()
        let pages = try PDFStamper.inspect(long).pages
        #expect(pages >= 3)
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("copy.pdf", try PDFStamper.stamp(pdf, sheet: long, documentID: "d"))
        #expect(try PDFStamper.inspect(try folder.read("copy.pdf")).pages == 1 + pages)
        let text = try folder.run("pdftotext", ["-f", "2", "copy.pdf", "-"]).output
        #expect(text.components(separatedBy: "8710******27").count - 1 == 25)
        try folder.run("pdftoppm", ["-png", "-r", "150", "-f", "\(1 + pages)", "-l", "\(1 + pages)", "-singlefile", "copy.pdf", "last"])
        #expect(try folder.run("zbarimg", ["--raw", "-q", "last.png"]).output.contains("https://sign.example.kz/check/5c9e"))
        let qr = try #require(QRMatrix("https://sign.example.kz/check/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"))
        #expect(qr.size >= 21 && qr.modules.count == qr.size * qr.size && qr[0, 0])
    }

    @Test("uploads: a PDF qpdf cannot read, an encrypted PDF and a PDF without pages are refused with a clear detail")
    func uploads() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let pdf = try Self.sheet().pdf()
        try folder.write("plain.pdf", pdf)
        _ = try DocumentUpload(name: "a.pdf", content: pdf, fileField: "file", type: .pdf, maximumBytes: 1 << 20)
        for (arguments, name) in [(["--encrypt", "", "owner", "256", "--"], "restricted.pdf"), (["--encrypt", "user", "owner", "256", "--"], "locked.pdf")] {
            #expect(try folder.run("qpdf", arguments + ["plain.pdf", name]).status == 0)
            #expect {
                try DocumentUpload(name: name, content: try folder.read(name), fileField: "file", type: .pdf, maximumBytes: 1 << 20)
            } throws: { error in
                let detail = (error as? QoltanbaError)?.detail ?? ""
                return detail.hasPrefix("file: ") && (detail.contains("encrypted") || detail.contains("not a readable PDF"))
            }
        }
        let garbage = Array("%PDF-1.4\nthis is not really a PDF\nstartxref\n9\n%%EOF\n".utf8)
        #expect(throws: QoltanbaError.self) {
            try DocumentUpload(name: "a.pdf", content: garbage, fileField: "file", type: .pdf, maximumBytes: 1 << 20)
        }
    }
}
