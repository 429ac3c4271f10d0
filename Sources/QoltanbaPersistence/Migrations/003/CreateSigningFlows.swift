import Fluent

struct CreateSigningFlows: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("signing_flows")
            .field("id", .uuid, .identifier(auto: false), .references("signing_sessions", "id", onDelete: .cascade))
            .field("browser_hash", .string, .required)
            .field("redirect_url", .string)
            .field("language", .string, .required)
            .field("theme", .int, .required)
            .field("step", .string, .required)
            .field("returning", .bool, .required)
            .field("password_attempts", .int, .required)
            .field("code_attempts", .int, .required)
            .field("codes_sent", .int, .required)
            .field("code_hash", .string)
            .field("code_expires_at", .datetime)
            .field("activation", .data)
            .field("face_frame", .data)
            .field("certificate_id", .uuid, .references("signer_certificates", "id", onDelete: .setNull))
            .field("certificate_event", .string)
            .field("failure", .string)
            .field("version", .int, .required)
            .field("locked_until", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("signing_flows").delete()
    }
}

struct CreateSandboxMessages: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sandbox_messages")
            .id()
            .field("phone", .string, .required)
            .field("text", .string, .required)
            .field("code", .string, .required)
            .field("sent_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sandbox_messages").delete()
    }
}
