import Crypto
import Fluent
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import Vapor

/// The stamped copies of a session's signed documents: each PDF with the signature sheet added
/// as its last page; each XML as itself plus the sheet as a PDF of its own. A copy is made at the
/// first download, within the render budget, and stored with its SHA-256; from then on it is served
/// as stored, and the check page knows it by that digest.
struct StampedCopies {
    let database: any Database
    let budget: RenderBudget
    let publicURL: String

    /// The copies as a request reads them.
    init(_ request: Request, publicURL: String) {
        self.database = request.db
        self.budget = request.application.renderBudget
        self.publicURL = publicURL
    }

    /// One file of the archive.
    struct Entry {
        /// The document it comes from.
        let documentID: UUID
        /// The file name in the archive (not yet made unique).
        let name: String
        let bytes: [UInt8]
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

    /// The signers of a document's CMS whose signatures verified when it was signed: no other
    /// certificate is ever shown as a signer.
    static func signers(of document: DocumentModel) -> [SignatureReport.Signer] {
        let all = document.signers.flatMap { try? JSONDecoder().decode([SignatureReport.Signer].self, from: Data($0.utf8)) } ?? []
        return all.filter { $0.indication == .totalPassed }
    }

    /// The copies of one document: the stamped PDF, or the XML and its sheet.
    func entries(for document: DocumentModel, of session: SigningSessionModel, language: ClientLanguage) async throws -> [Entry] {
        let id = try document.requireID()
        let copy = try await copy(of: document, of: session, language: language)
        if document.mediaType == DocumentType.pdf.mediaType {
            return [Entry(documentID: id, name: DocumentName.withExtension(document.name, DocumentType.pdf.rawValue), bytes: copy)]
        }
        let name = DocumentName.withExtension(document.name, DocumentType.xml.rawValue)
        return [
            Entry(documentID: id, name: name, bytes: Array(try await original(of: id).content)),
            Entry(documentID: id, name: Self.sheetName(for: name), bytes: copy),
        ]
    }

    /// The stored copy of a document (a PDF's stamped copy, an XML's sheet), made and stored first
    /// when there is none yet. When two requests make it at once, the first stored is served.
    private func copy(of document: DocumentModel, of session: SigningSessionModel, language: ClientLanguage) async throws -> [UInt8] {
        let id = try document.requireID()
        if let stored = try await DocumentCopyModel.find(id, on: database) { return Array(stored.content) }
        let signers = Self.signers(of: document)
        let sheet = SignatureSheet(
            captions: Self.captions(language), documentName: DocumentName.cleaned(document.name), sha256: document.sha256,
            signers: signers.map(Self.sheetSigner), checkURL: "\(publicURL)/check/\(session.checkID.apiString)",
            date: signers.compactMap(\.signingTime).max() ?? document.updatedAt)
        let original = document.mediaType == DocumentType.pdf.mediaType ? try await original(of: id).content : nil
        let made = try await budget.run {
            let page = try sheet.pdf()
            return try original.map { try PDFStamper.stamp($0, sheet: page, documentID: id.apiString) } ?? page
        }
        do {
            try await DocumentCopyModel(documentID: id, content: Data(made), sha256: SHA256.hash(data: made).hexString, at: Date())
                .create(on: database)
        } catch {
            guard let stored = try await DocumentCopyModel.find(id, on: database) else { throw error }
            return Array(stored.content)
        }
        return made
    }

    private func original(of id: UUID) async throws -> DocumentFileModel {
        guard let file = try await DocumentFileModel.find(id, on: database) else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found on server")
        }
        return file
    }

    /// The recorded SHA-256 of each stored copy of these documents, by document id.
    func copyDigests(of documents: [DocumentModel]) async throws -> [UUID: String] {
        let ids = documents.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        let copies = try await DocumentCopyModel.query(on: database).filter(\.$id ~~ ids).field(\.$id).field(\.$sha256).all()
        return Dictionary(copies.compactMap { copy in copy.id.map { ($0, copy.sha256) } }, uniquingKeysWith: { first, _ in first })
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

    /// Archive names: no folders or characters ``DocumentName`` refuses, and unique (`name (2).pdf`), given out in turn.
    struct UniqueNames {
        /// The most UTF-8 bytes of a name, before ` (2)` is added.
        static let longestName = 200
        private var taken = Set<String>()

        mutating func take(_ name: String) -> String {
            var clean = DocumentName.cleaned(name)
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
                .trimmingCharacters(in: .whitespaces)
            while clean.hasPrefix(".") { clean.removeFirst() }
            if clean.isEmpty { clean = "document" }
            var base = (clean as NSString).deletingPathExtension, suffix = (clean as NSString).pathExtension
            if suffix.utf8.count > 16 { (base, suffix) = (clean, "") }
            // ZIP names are at most 65,535 bytes; keep them short enough for any file system.
            while base.utf8.count + suffix.utf8.count > Self.longestName, !base.isEmpty { base.removeLast() }
            if clean.utf8.count > Self.longestName { clean = suffix.isEmpty ? base : "\(base).\(suffix)" }
            var candidate = clean, number = 2
            while !taken.insert(candidate.lowercased()).inserted {
                candidate = suffix.isEmpty ? "\(base) (\(number))" : "\(base) (\(number)).\(suffix)"
                number += 1
            }
            return candidate
        }
    }
}
