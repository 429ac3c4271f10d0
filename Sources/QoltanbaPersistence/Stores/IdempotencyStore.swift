import Fluent
import Foundation
import SQLKit

/// The answers of requests sent with an `Idempotency-Key`, per organization.
public struct IdempotencyStore: Sendable {
    let database: any Database

    /// A stored answer.
    public struct Answer: Sendable {
        public let status: Int
        public let contentType: String?
        public let body: Data

        public init(status: Int, contentType: String?, body: Data) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// What a key held when a request came with it.
    public enum Claim: Sendable {
        /// Nobody used it (or its record had lapsed): this request runs, and its answer is kept.
        case claimed
        /// The first request with this key, with this fingerprint, is still running.
        case running
        /// It was used with another request.
        case mismatch
        /// The same request was answered before.
        case answered(Answer)
    }

    /// Claims `key` for a request with `fingerprint`. A record older than `lifetime`, or one left
    /// running longer than `stale` (its instance died), is replaced.
    public func claim(
        organizationID: UUID, key: String, fingerprint: String, now: Date, lifetime: TimeInterval, stale: TimeInterval
    ) async throws -> Claim {
        for _ in 0..<3 {
            let inserted = try await database.sql.raw("""
                INSERT INTO idempotency_keys (organization_id, key, fingerprint, state, created_at)
                VALUES (\(bind: organizationID), \(bind: key), \(bind: fingerprint), 'running', \(bind: now))
                ON CONFLICT (organization_id, key) DO NOTHING RETURNING key
                """).all()
            if !inserted.isEmpty { return .claimed }
            guard let row = try await database.sql.select().columns("fingerprint", "state", "status", "content_type", "body", "created_at")
                .from("idempotency_keys").where("organization_id", .equal, organizationID).where("key", .equal, key).first()
            else { continue }
            let created = try row.decode(column: "created_at", as: Date.self)
            let state = try row.decode(column: "state", as: String.self)
            if now.timeIntervalSince(created) > lifetime || (state == "running" && now.timeIntervalSince(created) > stale) {
                try await database.sql.delete(from: "idempotency_keys")
                    .where("organization_id", .equal, organizationID).where("key", .equal, key)
                    .where { lapsed in
                        lapsed.where("created_at", .lessThan, now.addingTimeInterval(-lifetime))
                            .orWhere { $0.where("state", .equal, "running").where("created_at", .lessThan, now.addingTimeInterval(-stale)) }
                    }
                    .run()
                continue
            }
            guard try row.decode(column: "fingerprint", as: String.self) == fingerprint else { return .mismatch }
            guard state == "answered", let status = try row.decode(column: "status", as: Int?.self) else { return .running }
            return .answered(Answer(
                status: status, contentType: try row.decode(column: "content_type", as: String?.self),
                body: try row.decode(column: "body", as: Data?.self) ?? Data()))
        }
        return .running
    }

    /// Keeps the answer of a claimed key.
    public func answer(organizationID: UUID, key: String, with answer: Answer) async throws {
        try await database.sql.update("idempotency_keys")
            .set("state", to: "answered").set("status", to: answer.status).set("content_type", to: answer.contentType)
            .set("body", to: answer.body)
            .where("organization_id", .equal, organizationID).where("key", .equal, key).where("state", .equal, "running")
            .run()
    }

    /// Lets a claimed key go without an answer (the request failed on the server's side: a retry may run).
    public func release(organizationID: UUID, key: String) async throws {
        try await database.sql.delete(from: "idempotency_keys").where("organization_id", .equal, organizationID)
            .where("key", .equal, key).where("state", .equal, "running").run()
    }

    /// Removes the records created before `date`.
    public func forget(before date: Date) async throws {
        try await database.sql.delete(from: "idempotency_keys").where("created_at", .lessThan, date).run()
    }
}
