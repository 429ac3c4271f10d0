import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence

/// A master key rotation's work: every secret still sealed under the previous master key is
/// sealed again under the current one. Each is replaced on its own and only while unchanged, so
/// the work can stop anywhere (a crash, `limit`) and a second run does the rest; secrets already
/// under the current key are left as they are.
///
/// Sealed again: the CA's keys, the organizations' webhook secrets (current and previous) and the
/// signer keys' outer layers. Not: what lives minutes (a signing flow's sealed password, a cabinet
/// page's one-time secret, the SMS code hashes), which the previous key opens while it is
/// configured and which are asked for again after.
struct MasterKeyRotation {
    let stores: Stores
    /// The current key, opening with the previous one.
    let sealer: Sealer

    /// What a run did.
    struct Report: Equatable {
        /// Sealed again, by kind.
        var resealed: [String: Int] = [:]
        /// Already under the current key.
        var current = 0
        /// Changed by an instance while the run read it (and so sealed under the current key).
        var changedMeanwhile = 0
        /// Opened by neither key: where (never the secret).
        var unreadable: [String] = []
        /// Whether the run went through everything (false when it stopped at its limit).
        var complete = true
    }

    /// Seals again at most `limit` secrets.
    func run(limit: Int = .max) async throws -> Report {
        var report = Report()
        var left = limit
        let store = stores.sealedSecrets
        let custody = sealer.custody

        /// One secret: nil when it stopped at the limit.
        func step<Box: Encodable & Sendable>(
            _ kind: String, _ column: SealedSecretStore.Column, id: UUID, box: Box, reseal: () throws -> Box?
        ) async throws -> Bool {
            let resealed: Box?
            do {
                resealed = try reseal()
            } catch {
                report.unreadable.append("\(kind) \(id.apiString)")
                return true
            }
            guard let resealed else {
                report.current += 1
                return true
            }
            guard left > 0 else {
                report.complete = false
                return false
            }
            if try await store.replace(column, of: id, was: box, with: resealed) {
                report.resealed[kind, default: 0] += 1
                left -= 1
            } else {
                report.changedMeanwhile += 1
            }
            return true
        }

        for certificate in try await store.authorityCertificates() {
            let (id, box, kind) = (certificate.id, certificate.sealedKey, Sealer.Box.authorityKey(role: certificate.role))
            guard try await step("CA key", .authorityKey, id: id, box: box, reseal: {
                try sealer.resealed(Array(box), as: kind).map { Data($0) }
            }) else { return report }
        }

        var last: UUID?
        while true {
            let page = try await store.organizationsWithWebhooks(after: last)
            guard let final = page.last else { break }
            last = final.organization
            for secrets in page {
                let (id, kind) = (secrets.organization, Sealer.Box.webhookSecret(organization: secrets.organization))
                for (column, box) in [(SealedSecretStore.Column.webhookSecret, secrets.current),
                                      (.webhookPreviousSecret, secrets.previous)] {
                    guard let box else { continue }
                    guard try await step("webhook secret", column, id: id, box: box, reseal: {
                        try sealer.resealed(Array(box), as: kind).map { Data($0) }
                    }) else { return report }
                }
            }
        }

        last = nil
        while true {
            let page = try await store.signerCertificates(after: last)
            guard let final = page.last else { break }
            last = final.id
            for certificate in page {
                let (id, text) = (certificate.id, certificate.sealedKey)
                let owner = KeyCustody.owner(iin: certificate.iin, serial: certificate.serial)
                guard try await step("signer key", .signerKey, id: id, box: text, reseal: {
                    let record = try JSONDecoder().decode(SealedSigningKey.self, from: Data(text.utf8))
                    return try custody.resealed(record, owner: owner).map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
                }) else { return report }
            }
        }
        return report
    }
}
