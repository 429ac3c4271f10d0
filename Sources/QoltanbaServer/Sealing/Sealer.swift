import Crypto
import Foundation
import QoltanbaCore
import QoltanbaPKI

/// Every use of the master key goes through here: webhook secrets, the cabinet's one-time secrets
/// and forms, the signing client's kept password and codes, and key custody. Each purpose names
/// its context once, so that a box sealed for one purpose (or one owner) never opens for another.
struct Sealer: Sendable {
    /// The master key, with the previous one during a rotation.
    let masterKey: MasterKey

    /// What a sealed box holds, and whose it is: the box's context.
    enum Box: Sendable {
        /// A key of the certificate authority (`root` or `issuing`).
        case authorityKey(role: String)
        /// An organization's webhook secret (current or previous).
        case webhookSecret(organization: UUID)
        /// A secret shown once in the cabinet, kept on the staff login until its page shows it.
        case cabinetFlash(login: UUID)
        /// A signer's password, kept during their flow (sealed with the browser's token too).
        case activation(session: UUID)

        var context: String {
            switch self {
            case .authorityKey(let role): "ca-\(role)"
            case .webhookSecret(let organization): "webhook-secret/\(organization.apiString)"
            case .cabinetFlash(let login): "cabinet flash/\(login.apiString)"
            case .activation(let session): "activation/\(session.apiString)"
            }
        }
    }

    /// What a key derived from the master key authenticates (never used to seal).
    enum DerivedKey: String, Sendable {
        /// The cabinet's forms (CSRF tokens).
        case cabinetForms = "cabinet csrf"
        /// The hashes of SMS codes.
        case smsCode = "sms code"
    }

    func seal(_ plaintext: [UInt8], as box: Box, secret: [UInt8]? = nil) throws -> [UInt8] {
        try masterKey.seal(plaintext, context: box.context, secret: secret)
    }

    func open(_ sealed: [UInt8], as box: Box, secret: [UInt8]? = nil) throws(KeyCustodyError) -> [UInt8] {
        try masterKey.open(sealed, context: box.context, secret: secret)
    }

    /// The box sealed again under the current master key; nil when it already is.
    func resealed(_ sealed: [UInt8], as box: Box) throws(KeyCustodyError) -> [UInt8]? {
        try masterKey.resealed(sealed, context: box.context)
    }

    func key(_ purpose: DerivedKey) -> SymmetricKey {
        masterKey.derivedKey(purpose: purpose.rawValue)
    }

    /// Signer keys' custody (their outer layer is sealed under the master key).
    var custody: KeyCustody { KeyCustody(masterKey: masterKey) }
}
