import Fluent
import SQLKit

/// The request counts every instance shares, per key and minute.
struct RateLimitStore {
    let database: any Database

    /// Adds each key's count (0 too) to the minute's totals, in one statement, and returns the totals after.
    func add(_ counts: [String: Int], minute: Int64) async throws -> [String: Int] {
        guard !counts.isEmpty else { return [:] }
        let rows: [SQLQueryString] = counts.map { key, count in "(\(bind: key), \(bind: minute), \(bind: Int64(count)))" }
        let query: SQLQueryString = "INSERT INTO rate_limit_counts (key, minute, count) VALUES "
            + rows.joined(separator: ", ")
            + " ON CONFLICT (key, minute) DO UPDATE SET count = rate_limit_counts.count + excluded.count RETURNING key, count"
        var totals: [String: Int] = [:]
        for row in try await database.sql.raw(query).all() {
            totals[try row.decode(column: "key", as: String.self)] = Int(clamping: try row.decode(column: "count", as: Int64.self))
        }
        return totals
    }

    /// Removes the counts of minutes before `minute`.
    func forget(before minute: Int64) async throws {
        try await database.sql.delete(from: "rate_limit_counts").where("minute", .lessThan, minute).run()
    }
}
