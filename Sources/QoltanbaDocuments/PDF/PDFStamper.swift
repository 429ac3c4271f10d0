import Foundation
import CQPDF

/// Reads PDFs and makes stamped copies with qpdf. The original is never changed: a copy is a new
/// file with the signature sheet as its last page and `DocumentId` in its document information.
public enum PDFStamper {
    /// What qpdf found in a PDF.
    public struct Inspection: Hashable, Sendable {
        public let pages: Int
        public let encrypted: Bool
        /// The `DocumentId` of its document information, when it has one (a stamped copy).
        public let documentID: String?
    }

    /// Opens `pdf` with qpdf.
    /// - Throws: when qpdf cannot parse it.
    public static func inspect(_ pdf: some ContiguousBytes) throws(DocumentError) -> Inspection {
        try withPDF(pdf) { qpdf throws(DocumentError) in
            let info = qpdf_oh_get_key(qpdf, qpdf_get_trailer(qpdf), "/Info")
            var documentID: String?
            if qpdf_oh_is_dictionary(qpdf, info) != 0 {
                let value = qpdf_oh_get_key(qpdf, info, "/DocumentId")
                if qpdf_oh_is_string(qpdf, value) != 0, let text = qpdf_oh_get_utf8_value(qpdf, value) {
                    documentID = String(cString: text)
                }
            }
            return Inspection(pages: Int(qpdf_get_num_pages(qpdf)), encrypted: qpdf_is_encrypted(qpdf) != 0, documentID: documentID)
        }
    }

    /// A copy of `original` with the pages of `sheet` added at the end and `DocumentId` set to
    /// `documentID`. The same inputs give the same bytes.
    public static func stamp(_ original: some ContiguousBytes, sheet: [UInt8], documentID: String) throws(DocumentError) -> [UInt8] {
        try withPDF(sheet) { sheetPDF throws(DocumentError) in
            try withPDF(original) { qpdf throws(DocumentError) in
                for index in 0..<max(0, Int(qpdf_get_num_pages(sheetPDF))) {
                    let page = qpdf_get_page_n(sheetPDF, index)
                    try check(qpdf, qpdf_add_page(qpdf, sheetPDF, page, 0), "the signature sheet could not be added")
                }
                let trailer = qpdf_get_trailer(qpdf)
                var info = qpdf_oh_get_key(qpdf, trailer, "/Info")
                if qpdf_oh_is_dictionary(qpdf, info) == 0 {
                    info = qpdf_make_indirect_object(qpdf, qpdf_oh_new_dictionary(qpdf))
                    qpdf_oh_replace_key(qpdf, trailer, "/Info", info)
                }
                qpdf_oh_replace_key(qpdf, info, "/DocumentId", qpdf_oh_new_unicode_string(qpdf, documentID))
                try check(qpdf, qpdf_init_write_memory(qpdf), "the copy could not be written")
                qpdf_set_deterministic_ID(qpdf, 1)
                try check(qpdf, qpdf_write(qpdf), "the copy could not be written")
                guard let buffer = qpdf_get_buffer(qpdf) else { throw DocumentError("the copy could not be written") }
                return Array(UnsafeBufferPointer(start: buffer, count: qpdf_get_buffer_length(qpdf)))
            }
        }
    }

    /// Runs `body` on a qpdf handle reading `pdf`; the bytes stay alive until the handle is gone.
    private static func withPDF<T>(_ pdf: some ContiguousBytes, _ body: (qpdf_data?) throws(DocumentError) -> T) throws(DocumentError) -> T {
        let qpdf = qpdf_init()
        defer {
            var handle = qpdf
            qpdf_cleanup(&handle)
        }
        qpdf_set_suppress_warnings(qpdf, 1)
        let result: Result<T, DocumentError> = pdf.withUnsafeBytes { buffer in
            let code = qpdf_read_memory(
                qpdf, "document", buffer.baseAddress?.assumingMemoryBound(to: CChar.self), UInt64(buffer.count), "")
            do throws(DocumentError) {
                try check(qpdf, code, "the PDF cannot be read")
                return .success(try body(qpdf))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func check(_ qpdf: qpdf_data?, _ code: QPDF_ERROR_CODE, _ problem: String) throws(DocumentError) {
        guard code & QPDF_ERRORS == 0 else {
            var detail = ""
            if let error = qpdf_get_error(qpdf), let text = qpdf_get_error_full_text(qpdf, error) {
                detail = String(cString: text)
            }
            throw DocumentError(detail.isEmpty ? problem : "\(problem): \(detail)")
        }
    }
}
