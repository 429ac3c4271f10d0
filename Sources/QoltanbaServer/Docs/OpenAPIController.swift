import Foundation
import QoltanbaCore
import Vapor

/// `GET /swagger/openapi.json` (the OpenAPI 3.1 document, with this server's public URL) and
/// `GET /swagger` (the same document as a readable page, rendered on the server: no script).
struct OpenAPIController: RouteCollection {
    let documentJSON: String
    let page: String

    init(publicURL: String) throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
              var document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        else {
            throw QoltanbaError(.operatorError, "the OpenAPI document is missing from the build")
        }
        document["servers"] = [["url": publicURL]]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        self.documentJSON = String(decoding: data, as: UTF8.self)
        self.page = OpenAPIPage(document: document).render()
    }

    func boot(routes: any RoutesBuilder) throws {
        let swagger = routes.grouped("swagger")
        swagger.get { _ in
            Self.response(self.page, type: .html)
        }
        swagger.get("openapi.json") { _ in
            Self.response(self.documentJSON, type: .json)
        }
    }

    private static func response(_ body: String, type: HTTPMediaType) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = type
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'")
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }
}
