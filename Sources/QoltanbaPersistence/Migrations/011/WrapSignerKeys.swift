import Fluent
import Foundation
import QoltanbaCore
import QoltanbaPKI

/// Gives every signer key of the first record version an outer layer (``SealedSigningKey``): the
/// master key it was sealed with becomes its pepper, sealed under a key derived from the master
/// key. From then on a master key rotation seals the pepper again and never needs a password.
///
/// The key a version 1 record was sealed with is the one that opens the CA's issuing key: before
/// this version there was one master key at a time. Pages of 500, each record saved alone: a
/// crash leaves some records wrapped, and the migration, run again, wraps the rest.
struct WrapSignerKeys: QoltanbaMigration {
    /// The master key (with the previous one during a rotation), loaded only when there is
    /// something to wrap.
    let masterKey: @Sendable () throws -> MasterKey

    func prepare(on database: any Database) async throws {
        var sealedUnder: MasterKey?
        var custody: KeyCustody?
        var last: UUID?
        while true {
            var page = SignerCertificateModel.query(on: database).sort(\.$id).limit(500)
            if let last { page = page.filter(\.$id > last) }
            let certificates = try await page.all()
            guard let final = certificates.last else { return }
            last = final.id
            for certificate in certificates {
                let record = try JSONDecoder().decode(SealedSigningKey.self, from: Data(certificate.sealedKey.utf8))
                guard record.version == 1 else { continue }
                if custody == nil {
                    let keys = try masterKey()
                    guard let issuing = try await AuthorityCertificateModel.query(on: database).filter(\.$role == "issuing").first(),
                          let member = keys.member(opening: Array(issuing.sealedKey), context: "ca-issuing")
                    else {
                        throw QoltanbaError(.operatorError, "the configured master key does not open the certificate authority's key: signer keys cannot be given their outer layer")
                    }
                    (sealedUnder, custody) = (member, KeyCustody(masterKey: keys))
                }
                guard let custody, let sealedUnder else { continue }
                let wrapped = try custody.addingOuterLayer(
                    to: record, sealedUnder: sealedUnder, owner: KeyCustody.owner(iin: certificate.iin, serial: certificate.serial))
                certificate.sealedKey = String(decoding: try JSONEncoder().encode(wrapped), as: UTF8.self)
                try await certificate.save(on: database)
            }
        }
    }

    /// Version 2 records cannot be read by the versions before this migration.
    func revert(on database: any Database) async throws {
        throw QoltanbaError(.operatorError, "signer keys with an outer layer cannot be turned back into the first record version")
    }
}
