import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import Vapor

/// The stamped copies of a session's signed documents: each PDF with the signature sheet added
/// as its last page; each XML as itself plus the sheet as a PDF of its own. Made when asked for,
/// one document at a time, and the same bytes every time for the same signatures.
struct StampedCopies {
    let database: any Database
    let pki: PKIService
    let publicURL: String

    /// One file of the archive: its bytes, or a file on disk holding them.
    struct Entry {
        /// The document it comes from.
        let documentID: UUID
        /// The file name in the archive (not yet made unique).
        let name: String
        let bytes: [UInt8]?
        let file: URL?

        init(documentID: UUID, name: String, bytes: [UInt8]) {
            (self.documentID, self.name, self.bytes, self.file) = (documentID, name, bytes, nil)
        }

        init(documentID: UUID, name: String, file: URL) {
            (self.documentID, self.name, self.bytes, self.file) = (documentID, name, nil, file)
        }

        /// The bytes, read from the file when they are there.
        func contents() throws -> [UInt8] {
            if let bytes { return bytes }
            return Array(try Data(contentsOf: file!))
        }
    }

    /// Asia/Almaty, where signing times are printed.
    static let almaty = TimeZone(identifier: "Asia/Almaty") ?? TimeZone(secondsFromGMT: 5 * 3600)!

    /// The session's documents, oldest first, without their files and signatures (only the fields
    /// the copies and the check page read: id, name, media type, size, SHA-256, signers, update time).
    func documents(of session: SigningSessionModel) async throws -> [DocumentModel] {
        try await DocumentModel.query(on: database).filter(\.$session.$id == session.requireID())
            .field(\.$id).field(\.$name).field(\.$mediaType).field(\.$size).field(\.$sha256).field(\.$signers)
            .field(\.$createdAt).field(\.$updatedAt)
            .sort(\.$createdAt).sort(\.$id).all()
    }

    /// The signers of a document's CMS, as they were when it was signed.
    static func signers(of document: DocumentModel) -> [SignatureReport.Signer] {
        document.signers.flatMap { try? JSONDecoder().decode([SignatureReport.Signer].self, from: Data($0.utf8)) } ?? []
    }

    /// The copies of one document: the stamped PDF, or the XML and its sheet.
    /// With `directory`, a stamped PDF is written there as a file instead of being held in memory.
    func entries(for document: DocumentModel, of session: SigningSessionModel, language: ClientLanguage, directory: URL? = nil)
        async throws -> [Entry]
    {
        let id = try document.requireID()
        guard let file = try await DocumentFileModel.find(id, on: database) else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found on server")
        }
        let signers = Self.signers(of: document)
        let sheet = try SignatureSheet(
            captions: Self.captions(language), documentName: document.name, sha256: document.sha256,
            signers: signers.map(Self.sheetSigner), checkURL: "\(publicURL)/check/\(session.checkID.apiString)",
            date: signers.compactMap(\.signingTime).max() ?? document.updatedAt
        ).pdf()
        if document.mediaType == DocumentType.pdf.mediaType {
            guard let directory else {
                return [Entry(documentID: id, name: document.name, bytes: try PDFStamper.stamp(file.content, sheet: sheet, documentID: id.apiString))]
            }
            let copy = directory.appendingPathComponent(id.apiString + ".pdf")
            try PDFStamper.stamp(file.content, sheet: sheet, documentID: id.apiString, to: copy.path)
            return [Entry(documentID: id, name: document.name, file: copy)]
        }
        return [
            Entry(documentID: id, name: document.name, bytes: Array(file.content)),
            Entry(documentID: id, name: Self.sheetName(for: document.name), bytes: sheet),
        ]
    }

    /// `contract.xml` → `contract.xml.signatures.pdf`.
    static func sheetName(for name: String) -> String { name + ".signatures.pdf" }

    /// A signer as the sheet prints them: masked IIN, the time in Almaty.
    static func sheetSigner(_ signer: SignatureReport.Signer) -> SignatureSheet.Signer {
        SignatureSheet.Signer(
            name: signer.fullName ?? signer.name ?? "—",
            maskedIIN: signer.iin.map { (try? IIN($0).masked) ?? "************" } ?? "—",
            signedAt: signer.signingTime.map(almatyTime) ?? "—",
            serial: signer.certificateSerial ?? "—", issuer: signer.issuer ?? "—")
    }

    /// `2026-11-27 14:05:09 (UTC+05:00)`.
    static func almatyTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = almaty
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = almaty.secondsFromGMT(for: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d (UTC%@%02d:%02d)", c.year!, c.month!, c.day!, c.hour!, c.minute!,
                      c.second!, offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    /// The sheet's captions in the session's language and Russian (Russian alone for a Russian session).
    static func captions(_ language: ClientLanguage) -> SignatureSheet.Captions {
        func both(_ key: ClientText) -> String {
            language == .ru ? ClientLanguage.ru.text(key) : "\(language.text(key)) / \(ClientLanguage.ru.text(key))"
        }
        return SignatureSheet.Captions(
            title: both(.sheetTitle), document: both(.sheetDocument), sha256: both(.sheetSHA256), signers: both(.sheetSigners),
            iin: both(.sheetIIN), signedAt: both(.sheetSignedAt), serial: both(.sheetSerial),
            issuer: both(.sheetIssuer), check: both(.sheetCheck))
    }

    /// The session's language: the signing client's, else Russian.
    func language(of session: SigningSessionModel) async throws -> ClientLanguage {
        guard let flow = try await SigningFlowModel.find(try session.requireID(), on: database) else { return .ru }
        return ClientLanguage(rawValue: flow.language) ?? .ru
    }

    /// Archive names: no folders or control characters, and unique (`name (2).pdf`), given out in turn.
    struct UniqueNames {
        private var taken = Set<String>()

        mutating func take(_ name: String) -> String {
            var clean = String(name.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init))
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
                .trimmingCharacters(in: .whitespaces)
            while clean.hasPrefix(".") { clean.removeFirst() }
            if clean.isEmpty { clean = "document" }
            let base = (clean as NSString).deletingPathExtension, suffix = (clean as NSString).pathExtension
            var candidate = clean, number = 2
            while !taken.insert(candidate.lowercased()).inserted {
                candidate = suffix.isEmpty ? "\(base) (\(number))" : "\(base) (\(number)).\(suffix)"
                number += 1
            }
            return candidate
        }
    }
}
