import Foundation
import QoltanbaCore
import QoltanbaPersistence

/// The sandbox's test citizens, read from `Resources/sandbox-citizens.json` and kept in the
/// `citizens` table, the file being the source of truth.
enum SandboxCitizens {
    struct Entry: Decodable {
        var iin: String
        var phone: String
        var outcome: SandboxOutcome
        var name: PersonName
        var latinName: PersonName
    }

    /// The entries of the data file, validated.
    static func load() throws -> [Entry] {
        guard let url = Bundle.module.url(forResource: "sandbox-citizens", withExtension: "json", subdirectory: "Resources")
        else {
            throw QoltanbaError(.operatorError, "the sandbox citizens data file is missing from the build")
        }
        let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: url))
        for entry in entries {
            _ = try IIN(entry.iin)
            _ = try PhoneNumber(entry.phone)
        }
        return entries
    }

    /// Inserts or updates every test citizen.
    static func seed(in store: CitizenStore) async throws {
        try await store.save(try load().map { entry in
            (Citizen(iin: try IIN(entry.iin), phone: try PhoneNumber(entry.phone), name: entry.name, latinName: entry.latinName),
             entry.outcome)
        })
    }
}
