import Foundation
import QoltanbaCore
import QoltanbaDocuments
import QoltanbaPKI
import X509

/// The fuzz targets: each takes any bytes and must return without trapping, whatever they are.
/// `make fuzz` builds this with libFuzzer and AddressSanitizer (see `FuzzMain.swift`).
enum FuzzTargets {
    /// A throwaway authority and signer, made once per process, for verifying and co-signing.
    struct Fixture: Sendable {
        let verifier: CMSVerifier
        let signer: CMSSigner
    }

    static let fixture: Fixture = {
        do {
            let created = try CertificateAuthority.create(name: "Qoltanba Fuzz")
            let key = try SigningKey.generate(.p256)
            let identity = SignerIdentity(
                iin: try IIN("871008401427"), name: PersonName(surname: "Fuzz", givenName: "Target", patronymic: ""))
            let certificate = try created.authority.issueSignerCertificate(
                for: identity, publicKey: key.publicKey, crlURL: "http://127.0.0.1/pki/crl", now: Date(), validity: 86_400)
            return Fixture(
                verifier: CMSVerifier(trustRoots: [created.authority.root], intermediates: [created.authority.issuing]),
                signer: try CMSSigner(key: key, certificate: certificate, chain: [created.authority.issuing]))
        } catch {
            fatalError("the fuzz fixture could not be made: \(error)")  // not input-driven: the tool's own setup
        }
    }()

    /// The targets by name.
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        // The CMS parser and verifier, as `/api/v1/signature/verify/` and the check page run them.
        "cms": { bytes in
            _ = try? CMSSignedData(berEncoded: bytes).signerInfos
            _ = blocking { try? await fixture.verifier.verify(bytes, detachedContent: Array(bytes.prefix(16))) }
        },
        // Co-signing an uploaded CMS, as the signing step does for a document signed before.
        "cosign": { bytes in
            _ = try? fixture.signer.cosign(bytes, detachedContent: Array(bytes.suffix(16)))
        },
        // The PDF upload check (header, trailer, qpdf's reading, encryption, pages).
        "pdf": { bytes in
            _ = try? DocumentUpload(name: "a.pdf", content: bytes, fileField: "file", type: .pdf, maximumBytes: 1 << 22)
        },
        // The XML upload check (UTF-8, no DOCTYPE, well-formed by libxml2).
        "xml": { bytes in
            _ = try? DocumentUpload(name: "a.xml", content: bytes, fileField: "file", type: .xml, maximumBytes: 1 << 22)
        },
        // Base64 as request fields carry it, and document names from the same bytes.
        "base64": { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if let decoded = Base64Text.decode(text) {
                precondition(Base64Text.decode(Data(decoded).base64EncodedString()) == decoded, "base64 does not round-trip")
            }
            _ = DocumentName.cleaned(text)
            _ = try? DocumentUpload(name: text, content: [0x3C, 0x61, 0x2F, 0x3E], fileField: "file", type: .xml, maximumBytes: 16)
        },
        // A check-page upload: an original, a copy or a CMS by digests, then the CMS verified; and an
        // upload that may be a PEM or DER CMS with an earlier signature.
        "check": { bytes in
            let originals = [String(repeating: "0", count: 64), String(repeating: "a", count: 64)]
            if case .signature(let cms) = UploadedFile.check(bytes, originals: originals, copies: [nil, String(repeating: "b", count: 64)]) {
                _ = blocking { try? await fixture.verifier.verify(cms) }
            }
            _ = UploadedFile.signedData(bytes)
        },
    ]

    /// Runs async work to its end from the fuzzer's synchronous callback.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            box.value = await work()
            done.signal()
        }
        done.wait()
        guard let value = box.value else { fatalError("the task ended without a value") }
        return value
    }

    /// Carries a result from the task to the waiting thread; the semaphore orders the accesses.
    final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}
