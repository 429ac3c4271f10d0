import Foundation
import QoltanbaCore
@testable import QoltanbaPKI
import QoltanbaTestSupport
import SwiftASN1
import Testing
import X509

/// A throwaway authority made once for the PKI suites, and helpers to run the real `openssl`.
enum PKIFixture {
    static let created = try! CertificateAuthority.create(name: "Qoltanba Test")
    static var authority: CertificateAuthority { created.authority }
    static let crlURL = "https://sign.example.kz/pki/crl"

    static let identity = SignerIdentity(
        iin: try! IIN("871008401427"),
        name: PersonName(surname: "Нұрланова", givenName: "Әсел", patronymic: "Қайратқызы"))
    static let otherIdentity = SignerIdentity(
        iin: try! IIN("760212350620"),
        name: PersonName(surname: "Өтегенов", givenName: "Жомарт", patronymic: "Серікұлы"))

    /// A key and a certificate for `identity`.
    static func signer(
        _ algorithm: SigningKey.Algorithm = .p256, identity: SignerIdentity = identity, now: Date = Date(),
        validity: TimeInterval = 365 * 86_400
    ) throws -> (SigningKey, Certificate) {
        let key = try SigningKey.generate(algorithm)
        let certificate = try authority.issueSignerCertificate(
            for: identity, publicKey: key.publicKey, crlURL: crlURL, now: now, validity: validity)
        return (key, certificate)
    }

    static var verifier: CMSVerifier {
        CMSVerifier(trustRoots: [authority.root], intermediates: [authority.issuing])
    }
}

/// A temporary folder with the files a test hands to `openssl`.
struct Workspace {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("qoltanba-pki-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    @discardableResult
    func write(_ name: String, pem certificates: [Certificate]) throws -> String {
        let text = try certificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined()
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url.appendingPathComponent(name)))
    }

    /// Runs `openssl` with these arguments in the workspace.
    @discardableResult
    func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Tool.run("/usr/bin/openssl", arguments, in: url, errors: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
