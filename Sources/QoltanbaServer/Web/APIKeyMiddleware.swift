import QoltanbaCore
import Vapor

/// Authenticates the `x-api-key` header and remembers the key's organization on the request.
///
/// A missing, unknown or revoked key is the API reference's 404 `organization api-key not found`.
struct APIKeyMiddleware: AsyncMiddleware {
    /// How stale `last_used_at` may get before a request writes it again.
    static let lastUsedResolution: TimeInterval = 60

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let presented = request.headers.first(name: "x-api-key"), !presented.isEmpty else {
            throw QoltanbaError.apiKeyNotFound
        }
        let secret = APIKeySecret(presented.trimmingCharacters(in: .whitespaces))
        let organizations = request.stores.organizations
        guard let key = try await organizations.activeAPIKey(secretHash: secret.hash) else {
            throw QoltanbaError.apiKeyNotFound
        }
        guard let organizationID = key.organization.id else { throw QoltanbaError.organizationNotFound }
        let now = Date()
        if key.lastUsedAt.map({ now.timeIntervalSince($0) > Self.lastUsedResolution }) ?? true {
            try await organizations.markUsed(key, at: now)
        }
        request.organizationID = organizationID
        request.logger[metadataKey: "organization.id"] = .string(organizationID.apiString)
        return try await next.respond(to: request)
    }
}

extension Request {
    private struct OrganizationKey: StorageKey {
        typealias Value = UUID
    }

    /// The organization whose API key authenticated this request.
    var organizationID: UUID {
        get {
            guard let id = storage[OrganizationKey.self] else {
                fatalError("organizationID read on a route without APIKeyMiddleware")
            }
            return id
        }
        set { storage[OrganizationKey.self] = newValue }
    }
}
