import Foundation
import QoltanbaPersistence
import QoltanbaPKI

/// What production refuses to start with: a required secret that is missing, or one that is plainly
/// not secret (a placeholder copied from an example, a short word such as `postgres`, a key of a few
/// repeated bytes).
/// The messages name the variable, never the value.
enum ProductionSecrets {
    /// Values seen in examples and compose files (compared lowercased, also as parts of a value).
    static let placeholders = ["changeme", "change-me", "change_me", "replaceme", "replace-me", "example", "placeholder"]

    /// - Throws: ``QoltanbaConfiguration/Invalid`` for the first provider token or database
    ///   password production cannot use (the master key is checked where it is read).
    static func check(_ configuration: QoltanbaConfiguration) throws {
        let providers = [
            ("REGISTRY", configuration.registry), ("LIVENESS", configuration.liveness), ("FACE_MATCH", configuration.faceMatch),
            ("SMS", configuration.sms), ("EDOCUMENT", configuration.eDocument),
        ]
        for (name, endpoint) in providers {
            guard let endpoint else { continue }
            guard let token = endpoint.token else {
                // The E-Document service may sit on a private link without one.
                if name == "EDOCUMENT" { continue }
                throw QoltanbaConfiguration.Invalid(
                    description: "QOLTANBA_\(name)_TOKEN is required in production mode: the bearer token Qoltanba sends to that provider")
            }
            if isWeak(token) {
                throw QoltanbaConfiguration.Invalid(
                    description: "QOLTANBA_\(name)_TOKEN is a placeholder or too short (under 16 characters) for a production secret")
            }
        }
        if case .postgres(url: let url) = configuration.database, let password = URLComponents(string: url)?.password, isWeak(password) {
            throw QoltanbaConfiguration.Invalid(
                description: "QOLTANBA_DATABASE_URL has a placeholder or short (under 16 characters) password: give the database user a real one")
        }
    }

    /// Whether a master key is made up rather than random: 32 random bytes have about 30 distinct
    /// values, fewer than 16 is a pattern (zeros, a repeated byte, a counter).
    static func isMadeUp(_ key: MasterKey) -> Bool {
        Set(Data(base64Encoded: key.base64) ?? Data()).count < 16
    }

    /// Whether a text secret is shorter than 16 characters or holds a placeholder.
    static func isWeak(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return text.count < 16 || placeholders.contains { lowered.contains($0) }
    }
}
