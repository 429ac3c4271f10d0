import CoreFoundation
import Crypto
import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// The stamped copies of a session's signed documents: each PDF with the signature sheet added
/// as its last page; each XML as itself plus the sheet as a PDF of its own. A copy is made at the
/// first download, within the render budget, and stored with its SHA-256; from then on it is served
/// as stored, and the check page knows it by that digest.
struct StampedCopies {
    let stores: Stores
    let budget: RenderBudget
    let publicURL: String

    init(stores: Stores, budget: RenderBudget, publicURL: String) {
        self.stores = stores
        self.budget = budget
        self.publicURL = publicURL
    }

    /// The copies as a request reads them.
    init(_ request: Request, publicURL: String) {
        self.init(stores: request.stores, budget: request.application.renderBudget, publicURL: publicURL)
    }

    /// Makes and stores the copies of a session that has just finished, so that no download (a
    /// read) has to: the step that finished the session calls it.
    func make(of session: SigningSession) async throws {
        try await forEachCopy(of: session) { _, _ in }
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
    func documents(of session: SigningSession) async throws -> [StoredDocument] {
        try await stores.sessions.documentSummaries(of: session.id)
    }

    /// The signers of a document's CMS whose signatures verified when it was signed: no other
    /// certificate is ever shown as a signer.
    static func signers(of document: StoredDocument) -> [SignatureReport.Signer] {
        document.signers.filter { $0.indication == .totalPassed }
    }

    /// The copies of one document: the stamped PDF, or the XML and its sheet.
    func entries(for document: StoredDocument, of session: SigningSession, language: ClientLanguage) async throws -> [Entry] {
        let id = document.id
        let copy = try await copy(of: document, of: session, language: language)
        if document.type == .pdf {
            return [Entry(documentID: id, name: DocumentName.withExtension(document.name, DocumentType.pdf.rawValue), bytes: copy)]
        }
        let name = DocumentName.withExtension(document.name, DocumentType.xml.rawValue)
        return [
            Entry(documentID: id, name: name, bytes: try await original(of: id)),
            Entry(documentID: id, name: Self.sheetName(for: name), bytes: copy),
        ]
    }

    /// The stored copy of a document (a PDF's stamped copy, an XML's sheet), made and stored first
    /// when there is none yet: by ``make(of:)`` when the session finishes, or by the first download
    /// of a session whose copies that step could not make (it failed, or the process stopped).
    /// When two requests make it at once, the first stored is served.
    private func copy(of document: StoredDocument, of session: SigningSession, language: ClientLanguage) async throws -> [UInt8] {
        let id = document.id
        if let stored = try await stores.sessions.copy(of: id) { return stored }
        let signers = Self.signers(of: document)
        let sheet = SignatureSheet(
            captions: Self.captions(language), documentName: DocumentName.cleaned(document.name), sha256: document.sha256,
            signers: signers.map(Self.sheetSigner), checkURL: "\(publicURL)/check/\(session.checkID.apiString)",
            date: signers.compactMap(\.signingTime).max() ?? document.updatedAt)
        let original = document.type == .pdf ? try await original(of: id) : nil
        let made = try await budget.run {
            let page = try sheet.pdf()
            return try original.map { try PDFStamper.stamp($0, sheet: page, documentID: id.apiString) } ?? page
        }
        return try await stores.sessions.storeCopy(of: id, content: made, sha256: SHA256.hash(data: made).hexString, at: Date())
    }

    private func original(of id: UUID) async throws -> [UInt8] {
        guard let file = try await stores.sessions.content(of: id) else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found on server")
        }
        return file
    }

    /// The recorded SHA-256 of each stored copy of these documents, by document id.
    func copyDigests(of documents: [StoredDocument]) async throws -> [UUID: String] {
        try await stores.sessions.copyDigests(of: documents.map(\.id))
    }

    /// The ZIP of a finished session's stamped copies, as a download; deflating runs on the thread
    /// pool, never on an event loop.
    func archive(of session: SigningSession, request: Request) async throws -> Response {
        let response = try await Self.streamedFile("documents.zip", mediaType: .zip, for: request) { file in
            nonisolated(unsafe) let archive = try CopyArchive(file: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            var first = true
            try await forEachCopy(of: session) { entry, name in
                try await request.application.threadPool.runIfActive { try archive.add(name, entry.bytes) }
                if first { await TestPause.at(.archiveStarted, request.application.qoltanba.testPause, logger: request.logger) }
                first = false
            }
        }
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"documents-\(session.id.apiString).zip\"")
        return response
    }

    /// The copies as the JSON of `in_base64=true`: `{"session_id": …, "docs": [{"id", "name", "file"}]}`.
    func base64Copies(of session: SigningSession, request: Request) async throws -> Response {
        let id = session.id.apiString
        return try await Self.streamedFile("documents.json", mediaType: .json, for: request) { file in
            guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw Abort(.internalServerError, reason: "a temporary file could not be made")
            }
            nonisolated(unsafe) let output = try FileHandle(forWritingTo: file)
            defer { try? output.close() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var separator = ""
            try output.write(contentsOf: Data(#"{"session_id":"\#(id)","docs":["#.utf8))
            try await forEachCopy(of: session) { entry, name in
                // `{"id":…,"name":…` then the file, encoded and written on the thread pool.
                let head = Data(separator.utf8) + (try encoder.encode(["id": entry.documentID.apiString, "name": name]).dropLast())
                let bytes = entry.bytes
                try await request.application.threadPool.runIfActive {
                    try output.write(contentsOf: head + Data(#","file":""#.utf8))
                    try output.write(contentsOf: Data(bytes).base64EncodedData())
                    try output.write(contentsOf: Data(#""}"#.utf8))
                }
                separator = ","
            }
            try output.write(contentsOf: Data("]}".utf8))
        }
    }

    /// The prefix of a download's temporary folder; the process's id follows it.
    static let downloadFolderPrefix = "qoltanba-download-"

    /// A download written first to a temporary file (which `write` makes, 0600), in a folder of its
    /// own that only this user may open (0700), then streamed and removed: memory holds one copy at a time,
    /// whatever the number of documents, and a failure while writing is still a clean error.
    private static func streamedFile(
        _ name: String, mediaType: HTTPMediaType, for request: Request, write: (URL) async throws -> Void
    ) async throws -> Response {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(downloadFolderPrefix)\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let file = folder.appendingPathComponent(name)
        do {
            try await write(file)
            return try await request.fileio.asyncStreamFile(at: file.path, mediaType: mediaType) { _ in
                try? FileManager.default.removeItem(at: folder)
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// Removes the download folders a killed process left (its copies of signed documents): folders
    /// (not links) of this user whose process no longer runs, or has this process's id (a
    /// container's server is process 1 at every start). Called when a server starts, before it serves.
    static func removeLeftoverDownloads(logger: Logger) {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(downloadFolderPrefix) {
            let folder = temporary.appendingPathComponent(name)
            var status = stat()
            guard let pid = Int32(name.dropFirst(downloadFolderPrefix.count).prefix { $0 != "-" }), pid > 0,
                  lstat(folder.path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == getuid(),
                  pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH)
            else { continue }
            try? FileManager.default.removeItem(at: folder)
            logger.notice("removed a download a stopped process left", metadata: ["folder": "\(name)"])
        }
    }

    /// Calls `body` with each copy of a finished session's documents and its unique archive name.
    /// - Throws: the API reference's `Document file(s) not found` for a session that is not finished.
    func forEachCopy(of session: SigningSession, _ body: (Entry, String) async throws -> Void) async throws {
        guard session.lifecycle.state == .finished else {
            throw QoltanbaError(.sessionNotFound, "Document file(s) not found")
        }
        let language = try await language(of: session)
        var names = UniqueNames()
        for document in try await documents(of: session) {
            for entry in try await entries(for: document, of: session, language: language) {
                try await body(entry, names.take(entry.name))
            }
        }
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
    func language(of session: SigningSession) async throws -> ClientLanguage {
        try await stores.flows.language(of: session.id).flatMap(ClientLanguage.init(rawValue:)) ?? .ru
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
