import Fluent
import SQLKit

/// The request counts every instance shares, per key and minute.
public struct RateLimitStore: Sendable {
    let database: any Database

    /// Adds each key's count to the minute's totals and returns the totals after, for every key
    /// given: the keys counted 0 are only read, so a round with nothing counted writes nothing.
    public func add(_ counts: [String: Int], minute: Int64) async throws -> [String: Int] {
        let added = counts.filter { $0.value > 0 }
        let read = counts.keys.filter { added[$0] == nil }
        var totals: [String: Int] = [:]
        func take(_ rows: [any SQLRow]) throws {
            for row in rows {
                totals[try row.decode(column: "key", as: String.self)] = Int(clamping: try row.decode(column: "count", as: Int64.self))
            }
        }
        if !added.isEmpty {
            let rows: [SQLQueryString] = added.map { key, count in "(\(bind: key), \(bind: minute), \(bind: Int64(count)))" }
            let query: SQLQueryString = "INSERT INTO rate_limit_counts (key, minute, count) VALUES "
                + rows.joined(separator: ", ")
                + " ON CONFLICT (key, minute) DO UPDATE SET count = rate_limit_counts.count + excluded.count RETURNING key, count"
            try take(try await database.sql.raw(query).all())
        }
        if !read.isEmpty {
            try take(try await database.sql.raw("""
                SELECT key, count FROM rate_limit_counts WHERE minute = \(bind: minute) AND key IN (\(binds: Array(read)))
                """).all())
        }
        return totals
    }

    /// Removes the counts of minutes before `minute`.
    public func forget(before minute: Int64) async throws {
        try await database.sql.delete(from: "rate_limit_counts").where("minute", .lessThan, minute).run()
    }
}
