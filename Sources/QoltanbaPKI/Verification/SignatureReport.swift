import Foundation

/// The outcome of verifying a CMS: for the whole and for each signer, an indication in the
/// vocabulary of ETSI EN 319 102-1 with a machine-readable sub-indication.
public struct SignatureReport: Codable, Hashable, Sendable {
    /// The verdict.
    public enum Indication: String, Codable, Hashable, Sendable {
        /// Every check passed.
        case totalPassed = "TOTAL_PASSED"
        /// A check failed for certain: the signature is not valid.
        case totalFailed = "TOTAL_FAILED"
        /// Not enough to decide: e.g. no chain to a trusted root, or an algorithm Qoltanba cannot check.
        case indeterminate = "INDETERMINATE"
    }

    /// Why a signature did not pass.
    public enum SubIndication: String, Codable, Hashable, Sendable {
        /// The content does not match the signed digest (or the signed content type).
        case hashFailure = "HASH_FAILURE"
        /// The signature value does not verify with the certificate's key.
        case signatureCryptoFailure = "SIG_CRYPTO_FAILURE"
        /// The signing certificate is revoked.
        case revoked = "REVOKED"
        /// The signing time is after the certificate's validity.
        case expired = "EXPIRED"
        /// The signing time is before the certificate's validity.
        case notYetValid = "NOT_YET_VALID"
        /// The certificate does not chain to a trusted root.
        case noCertificateChainFound = "NO_CERTIFICATE_CHAIN_FOUND"
        /// The CMS does not carry the signer's certificate.
        case noSigningCertificateFound = "NO_SIGNING_CERTIFICATE_FOUND"
        /// A digest or signature algorithm Qoltanba cannot verify (GOST among them).
        case unsupportedAlgorithm = "UNSUPPORTED_ALGORITHM"
        /// The signature is detached and no content was given.
        case signedDataNotFound = "SIGNED_DATA_NOT_FOUND"
        /// The CMS has no signer.
        case formatFailure = "FORMAT_FAILURE"
    }

    /// Why a signature that did not pass cannot be taken as an earlier signer's, in words.
    public var refusal: String {
        let code = subIndication?.rawValue ?? indication.rawValue
        let reason = switch subIndication {
        case .noCertificateChainFound?, .noSigningCertificateFound?:
            "its certificate does not chain to a trusted root"
        case .revoked?: "its certificate is revoked"
        case .hashFailure?, .signatureCryptoFailure?: "the signature does not verify"
        case .unsupportedAlgorithm?: "it uses an algorithm Qoltanba cannot verify"
        case .expired?, .notYetValid?: "its certificate was not valid at the signing time"
        case .signedDataNotFound?: "its content is missing"
        case .formatFailure?, nil: "it has no signer"
        }
        return "\(reason) (\(code))"
    }

    /// One signer's result.
    public struct Signer: Codable, Hashable, Sendable {
        public var indication: Indication
        public var subIndication: SubIndication?
        /// The signer's IIN, from the certificate's `SERIALNUMBER=IIN…`; nil for other certificates.
        public var iin: String?
        /// The certificate's common name.
        public var name: String?
        /// The common name and the patronymic (`G`) of an NCA-profile certificate.
        public var fullName: String?
        /// The certificate's serial number in upper-case hex.
        public var certificateSerial: String?
        /// The certificate's issuer.
        public var issuer: String?
        /// The signed signingTime attribute.
        public var signingTime: Date?
        /// The signature algorithm, e.g. `ecdsa-with-SHA256`.
        public var signatureAlgorithm: String?
        /// When the certificate was revoked, for `REVOKED`.
        public var revokedAt: Date?
    }

    /// The verdict on the whole CMS: passed when every signer passed.
    public var indication: Indication
    /// The first failing signer's sub-indication.
    public var subIndication: SubIndication?
    /// Whether the content was outside the CMS.
    public var detached: Bool
    /// Each signer, in the order of the CMS.
    public var signers: [Signer]

    init(detached: Bool, signers: [Signer]) {
        self.detached = detached
        self.signers = signers
        if signers.isEmpty {
            (indication, subIndication) = (.indeterminate, .formatFailure)
        } else if let failed = signers.first(where: { $0.indication == .totalFailed }) {
            (indication, subIndication) = (.totalFailed, failed.subIndication)
        } else if let open = signers.first(where: { $0.indication == .indeterminate }) {
            (indication, subIndication) = (.indeterminate, open.subIndication)
        } else {
            (indication, subIndication) = (.totalPassed, nil)
        }
    }
}
