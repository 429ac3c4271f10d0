import Foundation
import QoltanbaCore
@testable import QoltanbaPKI
import SwiftASN1
import Testing
import X509

/// DER bytes built by hand: a tag and its content (short or long form length).
private func tlv(_ tag: UInt8, _ parts: [UInt8]...) -> [UInt8] {
    let content = parts.flatMap { $0 }
    var length: [UInt8] = []
    if content.count < 0x80 {
        length = [UInt8(content.count)]
    } else {
        var rest = content.count
        var octets: [UInt8] = []
        while rest > 0 {
            octets.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        length = [0x80 | UInt8(octets.count)] + octets
    }
    return [tag] + length + content
}

private let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
private let dataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
private let sha256OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
private let ecdsaSHA256OID: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]

/// A ContentInfo with one SignerInfo whose algorithm identifiers are as given.
private func cms(digestAlgorithms: [UInt8] = tlv(0x30, sha256OID), digest: [UInt8], signature: [UInt8]) -> [UInt8] {
    let signerInfo = tlv(0x30,
        [0x02, 0x01, 0x01],
        tlv(0x30, tlv(0x30), [0x02, 0x01, 0x01]),  // issuer (empty name) and serial
        digest, signature, tlv(0x04, [0x01]))
    let signedData = tlv(0x30,
        [0x02, 0x01, 0x01], tlv(0x31, digestAlgorithms), tlv(0x30, dataOID, tlv(0xA0, tlv(0x04, Array("x".utf8)))),
        tlv(0x31, signerInfo))
    return tlv(0x30, signedDataOID, tlv(0xA0, signedData))
}

@Suite("Malformed CMS")
struct MalformedCMSTests {
    /// The class of the reported crash: AlgorithmIdentifiers that are empty SEQUENCEs, or not SEQUENCEs.
    static let malformed: [(String, [UInt8])] = [
        ("an empty digestAlgorithm", cms(digest: tlv(0x30), signature: tlv(0x30, ecdsaSHA256OID))),
        ("an empty signatureAlgorithm", cms(digest: tlv(0x30, sha256OID), signature: tlv(0x30))),
        ("a digestAlgorithm that is an OCTET STRING", cms(digest: tlv(0x04), signature: tlv(0x30, ecdsaSHA256OID))),
        ("an empty SET member among digestAlgorithms", cms(digestAlgorithms: tlv(0x30), digest: tlv(0x30, sha256OID), signature: tlv(0x30, ecdsaSHA256OID))),
    ]

    @Test("empty or mistyped AlgorithmIdentifiers are a clear error, never a trap, in parsing, verifying and co-signing")
    func emptyAlgorithmIdentifiers() async throws {
        let (key, certificate) = try PKIFixture.signer()
        let signer = try CMSSigner(key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        for (name, bytes) in Self.malformed {
            let parsed = Result { try CMSSignedData(berEncoded: bytes) }
            if case .failure(let error) = parsed {
                #expect(error is CMSError, "\(name)")
                #expect(!"\(error)".contains(".swift") && !"\(error)".contains("#"), "\(name): \(error)")
            }
            // Co-signing reads every digest algorithm of the SignedData.
            #expect(throws: (any Error).self, "\(name)") { _ = try signer.cosign(bytes) }
            _ = try? await PKIFixture.verifier.verify(bytes)
        }
        // The one a verifier reads without trapping reports a clear result.
        let report = try? await PKIFixture.verifier.verify(Self.malformed[3].1)
        #expect(report?.indication != .totalPassed)
    }

    @Test("no truncation of a real CMS passes, and no single-byte change of it traps the verifier or the co-signer")
    func mutations() async throws {
        let (key, certificate) = try PKIFixture.signer()
        let chain = [PKIFixture.authority.issuing]
        let signed = try CMSSigner.sign(Array("a document".utf8), key: key, certificate: certificate, chain: chain)
        let verifier = PKIFixture.verifier
        #expect(try await verifier.verify(signed).indication == .totalPassed)
        for length in stride(from: 0, to: signed.count, by: 3) {
            let report = try? await verifier.verify(Array(signed.prefix(length)))
            #expect(report?.indication != .totalPassed, "a CMS cut to \(length) bytes passed")
        }
        for index in stride(from: 0, to: signed.count, by: 2) {
            for value: UInt8 in [0x00, 0x30, 0x80, 0xFF] where signed[index] != value {
                var changed = signed
                changed[index] = value
                _ = try? await verifier.verify(changed)
                _ = try? CMSSigner.cosign(changed, key: key, certificate: certificate, chain: chain)
            }
        }
    }

    @Test("a flood of tiny values, too many certificates or too many signers is refused before it costs memory or time")
    func bounds() throws {
        let flood = tlv(0x30, signedDataOID, tlv(0xA0, tlv(0x30, Array(repeating: [UInt8]([0x04, 0x00]), count: 120_000).flatMap { $0 })))
        let refused = #expect(throws: CMSError.self) { try CMSSignedData(berEncoded: flood) }
        #expect(refused?.description == "the CMS holds more than \(CMSSignedData.maximumValues) values")

        func signedData(certificates: Int, signers: Int) -> [UInt8] {
            let signerInfo = tlv(0x30, [0x02, 0x01, 0x01], tlv(0x30, tlv(0x30), [0x02, 0x01, 0x01]), tlv(0x30, sha256OID),
                                 tlv(0x30, ecdsaSHA256OID), tlv(0x04, [0x01]))
            return tlv(0x30, signedDataOID, tlv(0xA0, tlv(0x30,
                [0x02, 0x01, 0x01], tlv(0x31, tlv(0x30, sha256OID)), tlv(0x30, dataOID),
                tlv(0xA0, Array(repeating: tlv(0x30, [0x05, 0x00]), count: certificates).flatMap { $0 }),
                tlv(0x31, Array(repeating: signerInfo, count: signers).flatMap { $0 }))))
        }
        #expect(throws: Never.self) { try CMSSignedData(berEncoded: signedData(certificates: 3, signers: 2)) }
        let certificates = #expect(throws: CMSError.self) {
            try CMSSignedData(berEncoded: signedData(certificates: CMSSignedData.maximumCertificates + 1, signers: 1))
        }
        #expect(certificates?.description.contains("certificates") == true)
        let signers = #expect(throws: CMSError.self) {
            try CMSSignedData(berEncoded: signedData(certificates: 1, signers: CMSSignedData.maximumSigners + 1))
        }
        #expect(signers?.description.contains("signers") == true)

        // The count itself: a real CMS is a few dozen values.
        let (key, certificate) = try PKIFixture.signer()
        let real = try CMSSigner.sign(Array("x".utf8), key: key, certificate: certificate, chain: [PKIFixture.authority.issuing])
        #expect(BERShape.valueCount(of: real, isAtMost: 1_000))
        #expect(!BERShape.valueCount(of: real, isAtMost: 10))
    }

    @Test("the DER constants written as bytes are what the serializer makes of their OIDs")
    func constants() throws {
        #expect(CMSSignedData.signedDataType == (try DERWriter.bytes { try $0.serialize(OID.signedData) }))
        #expect(CMSSigner.sha256Algorithm == (try DERWriter.bytes { try DERWriter.algorithm(OID.sha256, to: &$0) }))
    }

    @Test("a parse error names what is wrong and no source location")
    func errorText() {
        for bytes: [UInt8] in [[0x30, 0x03, 0x06, 0x01], [0x30, 0x05, 0x06, 0x03, 0x2A, 0x86], [0x30, 0x80]] {
            let error = #expect(throws: CMSError.self) { try CMSSignedData(berEncoded: bytes) }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.hasPrefix("not a readable CMS structure ("), "\(text)")
            #expect(!text.contains(".swift") && !text.contains("ASN1Error"), "\(text)")
        }
    }
}
