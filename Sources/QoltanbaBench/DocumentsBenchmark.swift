// `make bench-documents`: stamping and zipping a session's copies beside the qpdf command line
// appending the same page to the same files, and the peak memory of the archive build.
import Foundation
import QoltanbaDocuments

enum DocumentsBenchmark {
    static let documents = 10, pages = 50, pageBytes = 20 * 1024

    /// A PDF of `pages` pages, each with a content stream of about `pageBytes` of text drawing,
    /// different for each `seed`.
    static func samplePDF(seed: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var pdf = Array("%PDF-1.7\n".utf8)
        var offsets: [Int] = []
        func object(_ body: [UInt8]) {
            offsets.append(pdf.count)
            pdf += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let kids = (0..<pages).map { "\(4 + 2 * $0) 0 R" }.joined(separator: " ")
        object(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        object(Array("<< /Type /Pages /Kids [\(kids)] /Count \(pages) >>".utf8))
        object(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".utf8))
        for page in 0..<pages {
            object(Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + 2 * page) 0 R >>".utf8))
            var stream = "BT /F1 9 Tf 40 800 Td 11 TL\n"
            while stream.utf8.count < pageBytes {
                stream += "(Document \(seed) page \(page + 1) line \(UInt32.random(in: 0...UInt32.max, using: &generator))) '\n"
            }
            stream += "ET"
            object(Array("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream".utf8))
        }
        let xref = pdf.count
        pdf += Array("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets { pdf += Array(String(format: "%010d 00000 n \n", offset).utf8) }
        pdf += Array("trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return pdf
    }

    static func sheet(for index: Int) -> SignatureSheet {
        SignatureSheet(
            captions: .init(
                title: "Электрондық қолтаңбалар парағы / Лист электронных подписей", document: "Құжат / Документ",
                sha256: "SHA-256", signers: "Қол қойғандар / Подписанты", iin: "ЖСН / ИИН", signedAt: "Уақыты / Время",
                serial: "Сериялық нөмір / Серийный номер", issuer: "Берген / Издатель", check: "Тексеру / Проверка"),
            documentName: "Шарт №\(index).pdf", sha256: String(repeating: "ab", count: 32),
            signers: [.init(name: "НҰРЛАНОВА ӘСЕЛ ҚАЙРАТҚЫЗЫ", maskedIIN: "8710******27", signedAt: "2026-11-27 14:05:09 (UTC+05:00)",
                            serial: "6561DAD57550CC37A8D0EF2E84F07B9F", issuer: "CN=Qoltanba Issuing CA")],
            checkURL: "https://sign.example.kz/check/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", date: Date())
    }

    /// Peak resident memory (VmHWM) in bytes; writing 5 to clear_refs starts a new peak.
    static func peakMemory(reset: Bool = false) -> Int {
        if reset { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-bench-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let originals = (0..<documents).map(samplePDF)
        let pages = try PDFStamper.inspect(originals[0]).pages
        for (index, pdf) in originals.enumerated() {
            try Data(pdf).write(to: folder.appendingPathComponent("original-\(index).pdf"))
            try Data(try sheet(for: index).pdf()).write(to: folder.appendingPathComponent("sheet-\(index).pdf"))
        }

        // The qpdf command line: append each sheet to its original.
        var qpdfTime = Double.infinity, ourTime = Double.infinity, peak = 0, zipBytes = 0
        for _ in 0..<3 {
            qpdfTime = min(qpdfTime, try seconds {
                for index in 0..<documents {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/qpdf")
                    process.arguments = ["original-\(index).pdf", "--pages", ".", "sheet-\(index).pdf", "--", "copy-\(index).pdf"]
                    process.currentDirectoryURL = folder
                    try process.run()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw DocumentError("qpdf failed on document \(index)") }
                }
            })
            // Qoltanba: draw each sheet, stamp, and zip; one document at a time, as the server does.
            let baseline = peakMemory(reset: true)
            ourTime = min(ourTime, try seconds {
                let archive = try CopyArchive()
                for (index, original) in originals.enumerated() {
                    let copy = try PDFStamper.stamp(original, sheet: try sheet(for: index).pdf(), documentID: "document-\(index)")
                    try archive.add("Шарт №\(index).pdf", copy)
                }
                zipBytes = try archive.data().count
            })
            peak = max(peak, peakMemory() - baseline)
        }
        let megabyte = 1024.0 * 1024.0
        let size = Double(originals.map(\.count).reduce(0, +)) / Double(documents) / megabyte
        print("Ten PDFs of \(pages) pages, \(String(format: "%.2f", size)) MB each; best of three runs.\n")
        func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        print(column("qoltanba stamp + zip", 23) + column("qpdf CLI append", 18) + column("ratio", 8) + column("archive", 10)
            + "peak memory of the archive build")
        print(column(String(format: "%.3f s", ourTime), 23) + column(String(format: "%.3f s", qpdfTime), 18)
            + column(String(format: "%.2f", ourTime / qpdfTime), 8) + column(String(format: "%.1f MB", Double(zipBytes) / megabyte), 10)
            + String(format: "%.1f MB, %.1f copies beyond the archive", Double(peak) / megabyte, Double(max(0, peak - zipBytes)) / megabyte / size))
        print("\nGoal: within 1.5× of the qpdf command line: \(ourTime <= 1.5 * qpdfTime ? "met" : "NOT met").")
    }
}
