import Fluent

struct CreateCitizens: QoltanbaMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens")
            .id()
            .field("iin", .string, .required)
            .field("phone", .string, .required)
            .field("surname", .string, .required)
            .field("given_name", .string, .required)
            .field("patronymic", .string, .required)
            .field("latin_surname", .string, .required)
            .field("latin_given_name", .string, .required)
            .field("latin_patronymic", .string, .required)
            .field("sandbox_outcome", .string, .required)
            .unique(on: "iin")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizens").delete()
    }
}
