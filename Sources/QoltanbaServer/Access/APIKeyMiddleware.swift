import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// Authenticates the `x-api-key` header and remembers the key's organization on the request.
///
/// A missing, unknown or revoked key is the API reference's 404 `organization api-key not found`;
/// a key read is kept for two seconds (``APIKeyCache``), so a revoked key stops working within
/// two seconds on every instance.
/// Each key may make `QOLTANBA_RATE_LIMIT_PER_MINUTE` requests a minute (``RateLimiter``): every
/// answer carries `X-RateLimit-Limit`, `-Remaining` and `-Reset`, and a 429 also `Retry-After`.
struct APIKeyMiddleware: AsyncMiddleware {
    /// How stale `last_used_at` may get before a request writes it again.
    static let lastUsedResolution: TimeInterval = 60

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let presented = request.headers.first(name: "x-api-key"), !presented.isEmpty else {
            throw QoltanbaError.apiKeyNotFound
        }
        let secret = APIKeySecret(presented.trimmingCharacters(in: .whitespaces))
        let organizations = request.stores.organizations
        let cache = request.application.apiKeyCache
        guard let key = try await cache.key(secretHash: secret.hash, read: { try await organizations.activeAPIKey(secretHash: secret.hash) })
        else {
            throw QoltanbaError.apiKeyNotFound
        }
        // The organization exists: a key's row refers to it (and goes with it).
        let organizationID = key.organizationID
        let now = Date()
        if key.lastUsedAt.map({ now.timeIntervalSince($0) > Self.lastUsedResolution }) ?? true {
            request.application.apiKeyUse.note(key.id, at: now)
            cache.used(secretHash: secret.hash, at: now)
        }
        request.organizationID = organizationID
        request.logger[metadataKey: "organization.id"] = .string(organizationID.apiString)
        guard let decision = request.application.rateLimiter.count(key.id.apiString) else {
            return try await next.respond(to: request)
        }
        var headers = HTTPHeaders()
        decision.apply(to: &headers)
        guard decision.allowed else {
            request.logger.info("API request over the rate limit", metadata: ["key": "\(key.prefix)"])
            return ProblemMiddleware.response(
                status: .tooManyRequests,
                detail: "Too many requests: this API key may make \(decision.limit) requests per minute; try again in \(decision.reset) s",
                headers: headers)
        }
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            response = ProblemMiddleware.response(for: error, on: request)
        }
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
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
