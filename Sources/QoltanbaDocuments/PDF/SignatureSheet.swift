import CCairo
import Foundation

/// The page added to a stamped copy (or, for XML, the whole signature sheet): the document, its
/// SHA-256, every signer, and a QR code that opens the check page. Many signers continue onto
/// further pages. Drawn with cairo in DejaVu
/// Sans, whose glyphs cover the Kazakh letters; the fonts are embedded in the PDF.
public struct SignatureSheet: Sendable {
    /// One signer as the sheet prints them.
    public struct Signer: Sendable {
        public var name: String
        /// Already masked (`8710******27`).
        public var maskedIIN: String
        /// Signing time, already written in Asia/Almaty time.
        public var signedAt: String
        public var serial: String
        public var issuer: String

        public init(name: String, maskedIIN: String, signedAt: String, serial: String, issuer: String) {
            self.name = name
            self.maskedIIN = maskedIIN
            self.signedAt = signedAt
            self.serial = serial
            self.issuer = issuer
        }
    }

    /// The sheet's captions, in the languages it is printed in (e.g. `Құжат / Документ`).
    public struct Captions: Sendable {
        public var title, document, sha256, signers, iin, signedAt, serial, issuer, check: String

        public init(
            title: String, document: String, sha256: String, signers: String, iin: String, signedAt: String,
            serial: String, issuer: String, check: String
        ) {
            (self.title, self.document, self.sha256, self.signers) = (title, document, sha256, signers)
            (self.iin, self.signedAt, self.serial, self.issuer, self.check) = (iin, signedAt, serial, issuer, check)
        }
    }

    public var captions: Captions
    public var documentName: String
    public var sha256: String
    public var signers: [Signer]
    /// What the QR code opens.
    public var checkURL: String
    /// Written as the PDF's creation date, so that the same sheet is the same bytes every time.
    public var date: Date

    public init(captions: Captions, documentName: String, sha256: String, signers: [Signer], checkURL: String, date: Date) {
        self.captions = captions
        self.documentName = documentName
        self.sha256 = sha256
        self.signers = signers
        self.checkURL = checkURL
        self.date = date
    }

    /// A4 in points.
    static let width = 595.0, height = 842.0, margin = 48.0

    /// The sheet as a PDF: one page, more when the signers need them.
    public func pdf() throws(DocumentError) -> [UInt8] {
        let output = Output()
        let unmanaged = Unmanaged.passRetained(output)
        defer { unmanaged.release() }
        let surface = cairo_pdf_surface_create_for_stream({ closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Output>.fromOpaque(closure).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }, unmanaged.toOpaque(), Self.width, Self.height)
        let stamp = date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, stamp)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Qoltanba")
        let cr = cairo_create(surface)
        draw(cr)
        cairo_show_page(cr)
        let status = cairo_status(cr)
        cairo_destroy(cr)
        cairo_surface_finish(surface)
        let surfaceStatus = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        guard status == CAIRO_STATUS_SUCCESS, surfaceStatus == CAIRO_STATUS_SUCCESS else {
            throw DocumentError("the signature sheet could not be drawn")
        }
        return output.bytes
    }

    private final class Output {
        var bytes: [UInt8] = []
    }

    private func draw(_ cr: OpaquePointer?) {
        var y = Self.margin
        let textWidth = Self.width - 2 * Self.margin
        func font(_ size: Double, bold: Bool = false, mono: Bool = false) {
            cairo_select_font_face(cr, mono ? "DejaVu Sans Mono" : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                   bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
            cairo_set_font_size(cr, size)
        }
        func advance(_ text: String) -> Double {
            var extents = cairo_text_extents_t()
            cairo_text_extents(cr, text, &extents)
            return extents.x_advance
        }
        /// Starts a new page when `height` more points do not fit on this one.
        func room(for height: Double) {
            guard y + height > Self.height - Self.margin else { return }
            cairo_show_page(cr)
            y = Self.margin
        }
        /// Writes `text` from the left margin, wrapping at spaces (or anywhere in a long word), onto
        /// as many pages as it needs.
        func line(_ text: String, size: Double, bold: Bool = false, mono: Bool = false, indent: Double = 0) {
            font(size, bold: bold, mono: mono)
            var current = ""
            func flush() {
                room(for: size * 1.35)
                cairo_move_to(cr, Self.margin + indent, y + size)
                cairo_show_text(cr, current)
                y += size * 1.35
                current = ""
            }
            for word in text.split(separator: " ", omittingEmptySubsequences: false) {
                let candidate = current.isEmpty ? String(word) : current + " " + word
                if advance(candidate) <= textWidth - indent {
                    current = candidate
                    continue
                }
                if !current.isEmpty { flush() }
                current = ""
                for character in word {
                    if advance(current + String(character)) > textWidth - indent { flush() }
                    current.append(character)
                }
            }
            flush()
        }

        cairo_set_source_rgb(cr, 0.09, 0.13, 0.16)
        line(captions.title, size: 17, bold: true)
        y += 6
        line(captions.document, size: 9)
        line(documentName, size: 12, bold: true)
        y += 2
        line(captions.sha256, size: 9)
        line(sha256, size: 9, mono: true)
        y += 10
        line(captions.signers, size: 12, bold: true)
        for (index, signer) in signers.enumerated() {
            y += 4
            line("\(index + 1). \(signer.name)", size: 11, bold: true)
            line("\(captions.iin): \(signer.maskedIIN)", size: 9.5, indent: 14)
            line("\(captions.signedAt): \(signer.signedAt)", size: 9.5, indent: 14)
            line("\(captions.serial): \(signer.serial)", size: 9.5, indent: 14)
            line("\(captions.issuer): \(signer.issuer)", size: 9.5, indent: 14)
        }

        // The QR code, at the bottom left of the last page, with the check URL beside it.
        guard let qr = QRMatrix(checkURL) else { return }
        let side = 130.0
        room(for: side + 16)
        let module = side / Double(qr.size + 8)
        let top = max(y + 16, Self.height - Self.margin - side)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_rectangle(cr, Self.margin, top, side, side)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        for row in 0..<qr.size {
            for column in 0..<qr.size where qr[row, column] {
                cairo_rectangle(cr, Self.margin + Double(column + 4) * module, top + Double(row + 4) * module, module, module)
            }
        }
        cairo_fill(cr)
        y = top + 24
        let textLeft = side + 12
        cairo_set_source_rgb(cr, 0.09, 0.13, 0.16)
        line(captions.check, size: 9.5, indent: textLeft)
        line(checkURL, size: 8.5, mono: true, indent: textLeft)
    }
}

/// A document that cannot be read, stamped or drawn; the text says why, for the caller.
public struct DocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
