import Foundation
import QoltanbaCore

/// A file an integrator uploads for signing, checked before anything is stored.
public struct DocumentUpload: Sendable {
    /// The display name, in Unicode NFC and trimmed.
    public let name: String
    /// The file's bytes.
    public let content: [UInt8]

    /// The longest display name accepted, in characters…
    public static let maximumNameLength = 255
    /// …and in UTF-8 bytes (one character may carry any number of combining marks).
    public static let maximumNameBytes = 1024

    /// Validates a display name and a file against the session's document type and the size limit.
    ///
    /// - Parameters:
    ///   - name: the display name (`name` field).
    ///   - content: the file's bytes.
    ///   - fileField: the request field that carried the file, named in errors (`file` or `base64_file`).
    ///   - type: the session's document type.
    ///   - maximumBytes: the upload limit.
    /// - Throws: ``QoltanbaError`` naming the field and the problem.
    public init(
        name: String, content: [UInt8], fileField: String, type: DocumentType, maximumBytes: Int
    ) throws(QoltanbaError) {
        self.name = try Self.validatedName(name, content: content, fileField: fileField, type: type, maximumBytes: maximumBytes)
        self.content = content
    }

    /// The same checks on bytes held elsewhere (a request's buffer): the display name, normalized.
    public static func validatedName(
        _ name: String, content: some RandomAccessCollection<UInt8> & ContiguousBytes, fileField: String, type: DocumentType,
        maximumBytes: Int
    ) throws(QoltanbaError) -> String {
        let trimmed = name.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalidField("name", "must not be empty") }
        guard trimmed.count <= Self.maximumNameLength, trimmed.utf8.count <= Self.maximumNameBytes else {
            throw .invalidField("name", "must be at most \(Self.maximumNameLength) characters and \(Self.maximumNameBytes) bytes")
        }
        guard !trimmed.unicodeScalars.contains(where: DocumentName.isRefused) else {
            throw .invalidField(
                "name", "must not contain control, format (bidi or zero-width), private-use or unassigned characters")
        }
        guard !content.isEmpty else { throw .invalidField(fileField, "the file is empty") }
        guard content.count <= maximumBytes else {
            throw QoltanbaError(
                .fileTooLarge,
                "\(fileField): the file is \(content.count) bytes, larger than the limit of \(maximumBytes) bytes")
        }
        switch type {
        case .pdf: try Self.checkPDF(content, field: fileField)
        case .xml: try Self.checkXML(content, field: fileField)
        }
        return trimmed
    }

    /// A PDF starts with `%PDF-1.x` or `%PDF-2.x`, ends (give or take trailing whitespace) with
    /// `%%EOF`, names where its cross-reference section starts, opens in qpdf (so that a stamped
    /// copy can always be made of it), and is not encrypted.
    static func checkPDF(_ bytes: some RandomAccessCollection<UInt8> & ContiguousBytes, field: String) throws(QoltanbaError) {
        let header = Array(bytes.prefix(7))
        guard bytes.count >= 8, header.starts(with: "%PDF-".utf8),
              header[5] == UInt8(ascii: "1") || header[5] == UInt8(ascii: "2"), header[6] == UInt8(ascii: ".")
        else {
            throw .invalidField(field, "not a PDF document: it does not start with a %PDF-1.x or %PDF-2.x header")
        }
        let tail = String(decoding: bytes.suffix(1024), as: UTF8.self)
        guard tail.contains("%%EOF") else {
            throw .invalidField(field, "not a complete PDF document: the %%EOF marker is missing (truncated file?)")
        }
        guard tail.contains("startxref") else {
            throw .invalidField(field, "not a complete PDF document: the startxref entry is missing")
        }
        let inspection: PDFStamper.Inspection
        do {
            inspection = try PDFStamper.inspect(bytes)
        } catch {
            throw .invalidField(field, "not a readable PDF document (\(error.description))")
        }
        guard !inspection.encrypted else {
            throw .invalidField(field, "encrypted PDF documents are not accepted: upload the document without a password or restrictions")
        }
        guard inspection.pages > 0 else { throw .invalidField(field, "the PDF document has no pages") }
    }

    /// An XML document must be well-formed, UTF-8 (or declare no other encoding) and carry no
    /// DOCTYPE: DTDs are refused so that no entity expansion ever runs on an upload.
    static func checkXML(_ bytes: some RandomAccessCollection<UInt8> & ContiguousBytes, field: String) throws(QoltanbaError) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .invalidField(field, "not a UTF-8 XML document")
        }
        if bytes.firstRange(of: Array("<!DOCTYPE".utf8)) != nil {
            throw .invalidField(field, "XML documents with a DOCTYPE declaration are not accepted")
        }
        if let problem = XMLWellFormedness.problem(in: bytes) {
            throw .invalidField(field, "not a well-formed XML document (\(problem))")
        }
    }
}
