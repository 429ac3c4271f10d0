import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import SwiftASN1
import Vapor
import X509

/// The published certificates and CRL: `/pki/root.pem|.cer`, `/pki/issuing.pem|.cer`, `/pki/crl`.
struct PKIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let pki = routes.grouped("pki")
        for (name, pick) in [("root", { (service: PKIService) in service.authority.root }),
                             ("issuing", { (service: PKIService) in service.authority.issuing })] {
            pki.get("\(name).pem") { request in
                let pem = try pick(request.application.pki).serializeAsPEM().pemString + "\n"
                return Self.response(Array(pem.utf8), type: HTTPMediaType(type: "application", subType: "x-pem-file"))
            }
            pki.get("\(name).cer") { request in
                Self.response(try pick(request.application.pki).derBytes(), type: HTTPMediaType(type: "application", subType: "pkix-cert"))
            }
        }
        // Serves the newest CRL issued; issuing is the job's and `qoltanba certificate revoke`'s.
        pki.get("crl") { request async throws in
            guard let crl = try await request.application.pki.publishedRevocationList(in: request.stores.certificates) else {
                throw QoltanbaError(.serviceUnavailable, "no CRL has been issued yet")
            }
            return Self.response(crl, type: HTTPMediaType(type: "application", subType: "pkix-crl"))
        }
    }

    private static func response(_ bytes: [UInt8], type: HTTPMediaType) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = type
        return Response(status: .ok, headers: headers, body: .init(data: Data(bytes)))
    }
}
