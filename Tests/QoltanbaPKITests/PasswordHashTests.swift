import Foundation
import QoltanbaPKI
import Testing

@Suite("Staff password hashes")
struct PasswordHashTests {
    @Test("a hash verifies its password only, is salted, and records its cost")
    func roundTrip() throws {
        let first = try PasswordHash.make("correct horse battery", cost: 12)
        let second = try PasswordHash.make("correct horse battery", cost: 12)
        #expect(first != second, "no salt")
        #expect(first.hasPrefix("scrypt$12$8$1$") && !first.contains("correct"))
        #expect(PasswordHash.verify("correct horse battery", against: first))
        #expect(PasswordHash.verify("correct horse battery", against: second))
        #expect(!PasswordHash.verify("correct horse batterY", against: first))
        #expect(!PasswordHash.verify("", against: first))
    }

    @Test("a damaged or foreign record verifies nothing (and an absurd cost is not run)")
    func damaged() throws {
        let hash = try PasswordHash.make("secret password", cost: 12)
        var fields = hash.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        fields[5] = String(fields[5].reversed())
        for record in ["", "plain", "scrypt$12$8$1$", fields.joined(separator: "$"), hash.replacingOccurrences(of: "scrypt$12", with: "scrypt$40"),
                       hash.replacingOccurrences(of: "scrypt$", with: "bcrypt$")] {
            #expect(!PasswordHash.verify("secret password", against: record), "\(record)")
        }
    }

    @Test("the default cost is scrypt's 2^15 with r = 8: 32 MiB a hash")
    func defaultCost() throws {
        #expect(try PasswordHash.make("x").hasPrefix("scrypt$15$8$1$"))
    }
}
