import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// `POST /api/v1/signature/verify/`: verifies a CMS and answers the report.
struct SignatureController: RouteCollection {
    let configuration: QoltanbaConfiguration

    struct VerifyRequest: Decodable {
        var cms: String?
        var data: String?
    }

    func boot(routes: any RoutesBuilder) throws {
        // A CMS may carry the largest document, in base64, with its certificates.
        let limit = (configuration.maximumUploadBytes * 2 + 2) / 3 * 4 + 256 * 1024
        routes.grouped("api", "v1", "signature").grouped(APIKeyMiddleware())
            .on(.POST, "verify", body: .collect(maxSize: ByteCount(value: limit)), use: verify)
    }

    func verify(request: Request) async throws -> SignatureReportResponse {
        let body = try request.decodeJSONBody(VerifyRequest.self)
        guard let cmsText = body.cms else { throw QoltanbaError.missingField("cms") }
        guard let cms = Base64Text.decode(cmsText), !cms.isEmpty else {
            throw QoltanbaError.invalidField("cms", "not valid base64")
        }
        let data = try body.data.map { text in
            guard let bytes = Base64Text.decode(text) else { throw QoltanbaError.invalidField("data", "not valid base64") }
            return bytes
        }
        let report: SignatureReport
        do {
            report = try await request.application.pki.verifier(in: request.stores.certificates).verify(cms, detachedContent: data)
        } catch let error as CMSError {
            throw QoltanbaError.invalidField("cms", "not a CMS SignedData: \(error)")
        }
        request.logger.info("signature verified", metadata: [
            "indication": "\(report.indication.rawValue)", "signers": "\(report.signers.count)",
        ])
        return SignatureReportResponse(report)
    }
}

/// The verification report as the API spells it: snake_case, IINs masked.
struct SignatureReportResponse: Content {
    struct Signer: Content {
        var indication: String
        @NullWhenAbsent var sub_indication: String?
        @NullWhenAbsent var iin: String?
        @NullWhenAbsent var name: String?
        @NullWhenAbsent var certificate_serial: String?
        @NullWhenAbsent var issuer: String?
        @NullWhenAbsent var signing_time: String?
        @NullWhenAbsent var signature_algorithm: String?
        @NullWhenAbsent var revoked_at: String?
    }

    var indication: String
    @NullWhenAbsent var sub_indication: String?
    var detached: Bool
    var signers: [Signer]

    init(_ report: SignatureReport) {
        self.indication = report.indication.rawValue
        self.sub_indication = report.subIndication?.rawValue
        self.detached = report.detached
        self.signers = report.signers.map { signer in
            Signer(
                indication: signer.indication.rawValue, sub_indication: signer.subIndication?.rawValue,
                iin: signer.iin.map { (try? IIN($0).masked) ?? "************" },
                name: signer.name, certificate_serial: signer.certificateSerial, issuer: signer.issuer,
                signing_time: signer.signingTime.map(APITimestamp.format),
                signature_algorithm: signer.signatureAlgorithm,
                revoked_at: signer.revokedAt.map(APITimestamp.format))
        }
    }
}
