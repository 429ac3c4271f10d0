import Foundation
import QoltanbaCore
import QoltanbaPKI
import X509

/// The certificate and the signatures: the end of the signing client's flow.
extension SigningFlowService {
    // MARK: Certificate and signing

    /// The signer's usable certificate: a returning signer's current one is reused; otherwise, with
    /// the E-Document service's approval, a new one is issued (a reissue when they had one). A
    /// first-time signer whose other flow got a certificate meanwhile enters its password instead.
    func prepareCertificate(_ bound: Bound, _ flow: SigningFlow) async throws -> StepResult {
        let session = bound.session
        let now = Date()
        let certificates = try await stores.certificates.certificates(iin: session.iin)
        if let valid = try await stores.certificates.usable(iin: session.iin, at: now) {
            guard flow.returning else { return try await continueAsReturning(bound, flow) }
            bound.flow.certificateID = valid.id
            bound.flow.certificateEvent = "reused"
            try await save(flow, bound)
            return .current
        }
        let reissue = !certificates.isEmpty
        let iin = try IIN(session.iin)
        switch await providers.eDocument.approve(iin: iin, reissue: reissue) {
        case .unavailable: return try await fail(bound, flow, .request)
        case .refused: return try await fail(bound, flow, reissue ? .reissue : .acceptCertificate)
        case .approved: break
        }
        guard let password = openPassword(bound),
              let citizen = try? await providers.registry.citizen(iin: iin, phone: try PhoneNumber(session.phone))
        else {
            return try await fail(bound, flow, .certificate)
        }
        do {
            guard let model = try await pki.issue(
                for: SignerIdentity(iin: iin, name: citizen.name), password: password, in: stores.certificates, now: now)
            else { return try await continueAsReturning(bound, flow) }
            bound.flow.certificateID = model.id
            bound.flow.certificateEvent = reissue ? "reissued" : "issued"
            await TestPause.at(.certificateStored, testPause, logger: logger)
        } catch {
            logger.error("certificate issuance failed", metadata: ["error": "\(error)"])
            return try await fail(bound, flow, reissue ? .reissue : .acceptCertificate)
        }
        try await save(flow, bound)
        return .current
    }

    /// Another flow of this first-time signer got their certificate first: this one asks for that
    /// certificate's password, as a returning signer's flow does; the password it kept is dropped.
    private func continueAsReturning(_ bound: Bound, _ flow: SigningFlow) async throws -> StepResult {
        var flow = flow
        _ = flow.certificateTakenMeanwhile()
        bound.flow.activation = nil
        logger.info("signer's certificate issued by another flow meanwhile", metadata: ["session": "\(bound.session.id?.apiString ?? "")"])
        try await save(flow, bound)
        return .current
    }

    /// Seals the password under the master key and the browser's token until the session ends.
    func keep(_ password: String, _ bound: Bound) throws {
        bound.flow.activation = Data(try pki.sealer.seal(Array(password.utf8), as: try activationBox(bound), secret: bound.token))
    }

    func openPassword(_ bound: Bound) -> String? {
        guard let box = bound.flow.activation,
              let activation = try? activationBox(bound),
              let bytes = try? pki.sealer.open(Array(box), as: activation, secret: bound.token)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The session's documents, oldest first.
    func documents(of bound: Bound) async throws -> [DocumentModel] {
        try await stores.sessions.documents(of: bound.session.requireID())
    }

    /// The certificate the flow signs with.
    func certificate(of bound: Bound) async throws -> SignerCertificateModel? {
        guard let id = bound.flow.certificateID else { return nil }
        return try await stores.certificates.certificate(id)
    }

    /// Signs every document with the signer's key (a CAdES-BES CMS with the content attached, or a
    /// co-signature of the document's earlier CMS) and finishes the session, all in one
    /// transaction, leaving the flow `done`. Any failure fails the flow as it was at `signing`:
    /// with `sign-doc`, or `refresh` when the session ended meanwhile.
    func sign(_ bound: Bound, done flow: SigningFlow, signing: SigningFlow) async throws -> StepResult {
        let signatures: [(DocumentModel, String, String)]
        do {
            guard let password = openPassword(bound), let model = try await certificate(of: bound) else {
                throw QoltanbaError.certificateNotFound
            }
            let signer = try CMSSigner(
                key: try await pki.signingKey(of: model, password: password),
                certificate: try Certificate(derEncoded: Array(model.certificate)), chain: [pki.authority.issuing])
            let verifier = try await pki.verifier(in: stores.certificates)
            var results: [(DocumentModel, String, String)] = []
            for document in try await documents(of: bound) {
                guard let content = try await stores.sessions.content(of: document.requireID()) else {
                    throw QoltanbaError(.sessionStateConflict, "Document file(s) not found on server")
                }
                let cms = try document.priorSign.flatMap { Data(base64Encoded: $0) }.map { try signer.cosign(Array($0)) }
                    ?? signer.sign(content)
                let signers = try await verifier.verify(cms).signers
                results.append((document, Data(cms).base64EncodedString(), String(decoding: try JSONEncoder().encode(signers), as: UTF8.self)))
            }
            signatures = results
        } catch {
            logger.error("signing failed", metadata: ["session": "\(bound.session.id?.apiString ?? "")", "error": "\(error)"])
            return try await fail(bound, signing, .signDocument)
        }
        await TestPause.at(.signingCommit, testPause, logger: logger)
        let now = Date()
        let finished: Bool = try await stores.transaction { stores in
            var lifecycle = bound.session.lifecycle
            guard case .changed(let from, let to) = lifecycle.finish(),
                  try await stores.sessions.record(bound.session, from: from, to: to, at: now) === bound.session
            else { return false }
            for (document, sign, signers) in signatures {
                document.sign = sign
                document.signers = signers
                document.updatedAt = now
                try await stores.sessions.save(document)
            }
            erase(bound)
            try await log(.stepPassed, .sign, bound, in: stores, at: now)
            bound.flow.flow = flow
            bound.flow.updatedAt = now
            try await stores.flows.save(bound.flow)
            return true
        }
        // The session expired (or was canceled) while the documents were being signed.
        guard finished else { return try await fail(bound, signing, .refresh) }
        logger.info("session signed", metadata: ["session": "\(bound.session.id?.apiString ?? "")", "documents": "\(signatures.count)"])
        // The stamped copies, made now so that downloads and the check page only read them.
        do {
            try await copies.make(of: bound.session)
        } catch {
            logger.warning("stamped copies not made at signing", metadata: [
                "session": "\(bound.session.id?.apiString ?? "")", "error": "\(String(reflecting: type(of: error)))",
            ])
        }
        return .ended
    }
}
