import Crypto
import Foundation
@testable import QoltanbaPKI
import Testing
import X509

@Suite("Key custody")
struct CustodyTests {
    let master = MasterKey.generate()

    @Test("the right password opens a key that signs; the stored record holds no plain key", arguments: SigningKey.Algorithm.allCases)
    func rightPassword(_ algorithm: SigningKey.Algorithm) throws {
        let custody = KeyCustody(masterKey: master)
        let key = try SigningKey.generate(algorithm)
        let record = try custody.seal(key, password: "Қолтаңба-2026!", owner: "871008401427/01")

        let stored = try JSONEncoder().encode(record)
        let plain = Data(key.pkcs8)
        #expect(stored.range(of: plain) == nil)
        #expect(Data(base64Encoded: record.box)!.range(of: plain) == nil)
        #expect(Data(base64Encoded: record.box)!.range(of: plain.suffix(32)) == nil)
        #expect(record.scryptN == 1 << 15 && record.scryptR == 8 && Data(base64Encoded: record.salt)!.count == 16)
        // The pepper is sealed under the master key (nonce, 32 bytes, tag) and opens only for its owner.
        #expect(record.version == 2 && Data(base64Encoded: record.pepper ?? "")?.count == 12 + 32 + 16)
        #expect(throws: KeyCustodyError.cannotOpen) { try custody.open(record, password: "Қолтаңба-2026!", owner: "871008401427/02") }

        let opened = try custody.open(record, password: "Қолтаңба-2026!", owner: "871008401427/01")
        #expect(opened.pkcs8 == key.pkcs8)
        let message = Array("document".utf8)
        let signature = try opened.sign(message)
        #expect(key.publicKey.isValidSignature(signature, for: message, signatureAlgorithm: key.signatureAlgorithm))
    }

    @Test("a wrong password fails as a wrong password; another owner or another master key cannot open the outer layer, which is no signer's mistake")
    func wrongOpeners() throws {
        let custody = KeyCustody(masterKey: master, scryptN: 1 << 12)
        let record = try custody.seal(try SigningKey.generate(.p256), password: "correct horse", owner: "a")
        #expect(throws: KeyCustodyError.wrongPassword) { try custody.open(record, password: "correct hors", owner: "a") }
        #expect(throws: KeyCustodyError.cannotOpen) { try custody.open(record, password: "correct horse", owner: "b") }
        let other = KeyCustody(masterKey: MasterKey.generate(), scryptN: 1 << 12)
        #expect(throws: KeyCustodyError.cannotOpen) { try other.open(record, password: "correct horse", owner: "a") }
        #expect(try custody.open(record, password: "correct horse", owner: "a").algorithm == .p256)
    }

    @Test("two seals of the same key differ (salt and nonce are fresh)")
    func freshSalt() throws {
        let custody = KeyCustody(masterKey: master, scryptN: 1 << 12)
        let key = try SigningKey.generate(.p256)
        let first = try custody.seal(key, password: "p", owner: "o")
        let second = try custody.seal(key, password: "p", owner: "o")
        #expect(first.salt != second.salt && first.box != second.box)
    }

    @Test("the master key: sealed CA keys open only with it and for their purpose; bad text is refused")
    func masterKey() throws {
        let box = try master.seal([1, 2, 3], context: "root")
        #expect(try master.open(box, context: "root") == [1, 2, 3])
        #expect(throws: KeyCustodyError.cannotOpen) { try master.open(box, context: "issuing") }
        #expect(throws: KeyCustodyError.cannotOpen) { try MasterKey.generate().open(box, context: "root") }
        #expect(try MasterKey(base64: master.base64).open(box, context: "root") == [1, 2, 3])
        #expect(throws: KeyCustodyError.invalidMasterKey) { try MasterKey(base64: "short") }
        #expect(throws: KeyCustodyError.invalidMasterKey) { try MasterKey(base64: Data(count: 16).base64EncodedString()) }
    }
}
