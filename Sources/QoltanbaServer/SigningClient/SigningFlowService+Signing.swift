import Foundation
import Logging
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import SwiftASN1
import X509

/// The certificate and the signatures: the end of the signing client's flow.
extension SigningFlowService {
    // MARK: Certificate and signing

    /// The signer's usable certificate: the current one is reused (``useCurrent(_:_:_:)``);
    /// otherwise, with the E-Document service's approval, a new one is issued (a reissue when they
    /// had one).
    func prepareCertificate(_ bound: Bound, _ next: SigningClientFlow) async throws -> StepResult {
        var next = next
        let session = bound.session
        let now = Date()
        if let current = try await stores.certificates.usable(iin: session.iin, at: now) {
            return try await useCurrent(current, bound, next)
        }
        let reissue = try await stores.certificates.hasCertificate(iin: session.iin)
        switch await providers.eDocument.approve(iin: session.iin, reissue: reissue) {
        case .unavailable: return try await fail(bound, next, .request)
        case .refused: return try await fail(bound, next, reissue ? .reissue : .acceptCertificate)
        case .approved: break
        }
        guard let password = openPassword(next, bound),
              let citizen = try? await providers.registry.citizen(iin: session.iin, phone: session.phone)
        else {
            return try await fail(bound, next, .certificate)
        }
        do {
            guard let model = try await pki.issue(
                for: SignerIdentity(iin: session.iin, name: citizen.name), password: password, in: stores.certificates, now: now)
            else {
                // Another flow of the signer stored one first (an IIN has one current certificate).
                guard let current = try await stores.certificates.usable(iin: session.iin, at: Date()) else {
                    return try await fail(bound, next, .certificate)
                }
                return try await useCurrent(current, bound, next)
            }
            next.certificateID = model.id
            next.certificateEvent = reissue ? "reissued" : "issued"
            await TestPause.at(.certificateStored, testPause, logger: logger)
        } catch {
            logger.error("certificate issuance failed", metadata: ["error": "\(error)"])
            return try await fail(bound, next, reissue ? .reissue : .acceptCertificate)
        }
        try await save(next, bound)
        return .current
    }

    /// The IIN's current certificate, stored before this step or by another flow of the signer
    /// meanwhile: a returning signer's flow signs with it (its password opened their key); a
    /// first-time signer's enters that certificate's password first, as a returning signer's does,
    /// and the password it kept is dropped.
    private func useCurrent(_ current: SignerCertificateRecord, _ bound: Bound, _ next: SigningClientFlow) async throws -> StepResult {
        var next = next
        if next.flow.returning {
            next.certificateID = current.id
            next.certificateEvent = "reused"
        } else {
            _ = next.flow.certificateTakenMeanwhile()
            next.activation = nil
            logger.info("signer's certificate issued by another flow meanwhile", metadata: ["session": "\(bound.session.id.apiString)"])
        }
        try await save(next, bound)
        return .current
    }

    /// The password sealed under the master key and the browser's token, kept until the session ends.
    func sealed(_ password: String, _ bound: Bound) throws -> [UInt8] {
        try pki.sealer.seal(Array(password.utf8), as: .activation(session: bound.session.id), secret: bound.token)
    }

    /// The password `flow` keeps, opened with the browser's token.
    func openPassword(_ flow: SigningClientFlow, _ bound: Bound) -> String? {
        guard let box = flow.activation,
              let bytes = try? pki.sealer.open(box, as: .activation(session: bound.session.id), secret: bound.token)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The session's documents, oldest first.
    func documents(of bound: Bound) async throws -> [StoredDocument] {
        try await stores.sessions.documents(of: bound.session.id)
    }

    /// The certificate the flow signs with.
    func certificate(of bound: Bound) async throws -> SignerCertificateRecord? {
        guard let id = bound.flow.certificateID else { return nil }
        return try await stores.certificates.certificate(id)
    }

    /// Signs every document with the signer's key (a CAdES-BES CMS with the content attached, or a
    /// co-signature of the document's earlier CMS) and finishes the session, all in one
    /// transaction, leaving the flow `done`. Any failure fails the flow as it was at `signing`:
    /// with `sign-doc`, or `refresh` when the session ended meanwhile.
    func sign(_ bound: Bound, done: SigningFlow) async throws -> StepResult {
        let signatures: [DocumentSignature]
        do {
            guard let password = openPassword(bound.flow, bound), let model = try await certificate(of: bound) else {
                throw QoltanbaError.certificateNotFound
            }
            let signer = try CMSSigner(
                key: try await pki.signingKey(of: model, password: password),
                certificate: try Certificate(derEncoded: model.der), chain: [pki.authority.issuing])
            let verifier = try await pki.verifier(in: stores.certificates)
            var made: [DocumentSignature] = []
            for document in try await documents(of: bound) {
                let id = document.id
                guard let content = try await stores.sessions.content(of: id) else {
                    throw QoltanbaError(.sessionStateConflict, "Document file(s) not found on server")
                }
                let cms = try document.priorSign.flatMap { Data(base64Encoded: $0) }.map { try signer.cosign(Array($0)) }
                    ?? signer.sign(content)
                made.append(DocumentSignature(document: id, cms: cms, signers: try await verifier.verify(cms).signers))
            }
            signatures = made
        } catch {
            logger.error("signing failed", metadata: ["session": "\(bound.session.id.apiString)", "error": "\(error)"])
            return try await fail(bound, bound.flow, .signDocument)
        }
        await TestPause.at(.signingCommit, testPause, logger: logger)
        let now = Date()
        var signed = bound.flow.erased
        signed.flow = done
        signed.updatedAt = now
        let finished: SigningSession? = try await stores.transaction { [signed] stores in
            var lifecycle = bound.session.lifecycle
            guard case .changed(let from, let to) = lifecycle.finish(),
                  let finished = try await stores.sessions.record(bound.session, from: from, to: to, at: now)
            else { return nil }
            for signature in signatures { try await stores.sessions.record(signature, at: now) }
            try await log(.stepPassed, .sign, bound, in: stores, at: now)
            try await stores.flows.save(signed)
            return finished
        }
        // The session expired (or was canceled) while the documents were being signed.
        guard let finished else { return try await fail(bound, bound.flow, .refresh) }
        logger.info("session signed", metadata: ["session": "\(bound.session.id.apiString)", "documents": "\(signatures.count)"])
        // The stamped copies, made now so that downloads and the check page only read them.
        do {
            try await copies.make(of: finished)
        } catch {
            logger.warning("stamped copies not made at signing", metadata: [
                "session": "\(bound.session.id.apiString)", "error": "\(String(reflecting: type(of: error)))",
            ])
        }
        return .ended(nil)
    }
}
