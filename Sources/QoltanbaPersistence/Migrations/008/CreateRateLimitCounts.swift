import Fluent

/// Requests per API key and minute, added up by every instance (see `RateLimiter`).
struct CreateRateLimitCounts: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rate_limit_counts")
            .field("key", .string, .required)
            .field("minute", .int64, .required)
            .field("count", .int64, .required)
            .unique(on: "key", "minute")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_limit_counts").delete()
    }
}
