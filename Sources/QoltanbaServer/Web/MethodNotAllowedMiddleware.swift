import RoutingKit
import Vapor

/// Answers a request whose path is known but whose method is not with 405 and `Allow` listing
/// the methods the path has (RFC 9110 §15.5.6), instead of the router's 404.
///
/// Made from the routes once they are all registered: install it after `routes(_:)`.
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    private let router: TrieRouter<HTTPMethod>
    private let methods: [HTTPMethod]

    init(routes: Routes) {
        let router = TrieRouter(HTTPMethod.self)
        var methods: [HTTPMethod] = []
        for route in routes.all {
            let path = route.path.filter { if case .constant("") = $0 { false } else { true } }
            router.register(route.method, at: [.constant(route.method.rawValue)] + path)
            if !methods.contains(route.method) { methods.append(route.method) }
        }
        self.router = router
        self.methods = methods
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as RouteNotFound {
            let path = request.url.path.split(separator: "/").map(String.init)
            var parameters = Parameters()
            var allowed = methods.filter { router.route(path: [$0.rawValue] + path, parameters: &parameters) != nil }
            guard !allowed.isEmpty else { throw error }
            if allowed.contains(.GET), !allowed.contains(.HEAD) { allowed.append(.HEAD) }
            throw Abort(.methodNotAllowed, headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")],
                        reason: "\(request.method.rawValue) is not allowed here; allowed: \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
    }
}
