import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// What the public check page knows of a session, found by the check id its copies carry, and
/// the verdict on a file brought to it. Personal data is masked; nothing is made or stored.
struct CheckService {
    let stores: Stores
    let copies: StampedCopies
    let pki: PKIService

    struct Signer: Content {
        /// The signature's verification when it was made: always `TOTAL_PASSED`, since no other is listed.
        let verification: String
        let name: String
        let iin: String
        let signed_at: String?
        let certificate_serial: String?
        let issuer: String?
    }

    struct Document: Content {
        let id: String
        let name: String
        let sha256: String
        let size: Int
        let signers: [Signer]
    }

    /// The session as the page and `GET /api/v1/check/{check_id}/` show it.
    struct Summary: Content {
        let check_id: String
        let organization: String
        let status: String
        let documents: [Document]
    }

    /// A session found by its check id, with its documents.
    struct Found {
        let session: SigningSession
        let documents: [StoredDocument]
        let summary: Summary
    }

    /// The session whose copies carry `checkID` (as it reads now), nil when there is none.
    func find(checkID: UUID) async throws -> Found? {
        guard let session = try await stores.sessions.find(checkID: checkID) else { return nil }
        let documents = try await copies.documents(of: session)
        var shown: [Document] = []
        for document in documents {
            let signers = StampedCopies.signers(of: document).map { signer in
                let printed = StampedCopies.sheetSigner(signer)
                return Signer(
                    verification: signer.indication.rawValue, name: printed.name, iin: printed.maskedIIN,
                    signed_at: signer.signingTime.map(APITimestamp.format), certificate_serial: signer.certificateSerial, issuer: signer.issuer)
            }
            shown.append(Document(id: document.id.apiString, name: document.name, sha256: document.sha256, size: document.size, signers: signers))
        }
        let organization = try await stores.organizations.organization(session.organizationID)?.name ?? ""
        return Found(
            session: session, documents: documents,
            summary: Summary(check_id: checkID.apiString, organization: organization, status: session.status.rawValue, documents: shown))
    }

    /// An original (its SHA-256), a stamped copy (the SHA-256 recorded when the copy was made), a
    /// CMS of one of the originals (verified), or nothing of this session (``UploadedFile/check(_:originals:copies:)``).
    func classify(_ bytes: [UInt8], of found: Found) async throws -> CheckPage.Verdict {
        let copyDigests = try await copies.copyDigests(of: found.documents)
        let documents = found.documents
        switch UploadedFile.check(bytes, originals: documents.map(\.sha256), copies: documents.map { copyDigests[$0.id] }) {
        case .original(let index): return .original(documents[index].name)
        case .copy(let index): return .copy(documents[index].name)
        case .signature(let cms): return .cms(try await pki.verifier(in: stores.certificates).verify(cms))
        case .unknown: return .noMatch
        }
    }
}

extension Request {
    /// The check page's service, on this request's database connection.
    var checkService: CheckService {
        CheckService(stores: stores, copies: StampedCopies(self, publicURL: application.qoltanba.publicURL), pki: application.pki)
    }
}
