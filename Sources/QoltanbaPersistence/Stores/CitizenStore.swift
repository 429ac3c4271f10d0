import Fluent
import QoltanbaCore
import SQLKit

/// The citizens kept in the `citizens` table: the sandbox's test citizens, and the citizen registry
/// where no registry service is configured.
public struct CitizenStore: CitizenRegistry {
    let database: any Database

    /// Asked at every session's creation, so in plain SQL.
    public func citizen(iin: IIN, phone: PhoneNumber) async throws -> Citizen? {
        let rows = try await database.sql.raw("""
            SELECT surname, given_name, patronymic, latin_surname, latin_given_name, latin_patronymic FROM citizens
            WHERE iin = \(bind: iin.digits) AND phone = \(bind: phone.digits)
            """).all()
        guard let row = rows.first else { return nil }
        func name(_ prefix: String) throws -> PersonName {
            PersonName(
                surname: try row.decode(column: prefix + "surname", as: String.self),
                givenName: try row.decode(column: prefix + "given_name", as: String.self),
                patronymic: try row.decode(column: prefix + "patronymic", as: String.self))
        }
        return Citizen(iin: iin, phone: phone, name: try name(""), latinName: try name("latin_"))
    }

    /// What the sandbox's providers do for this citizen; nil for one it does not know.
    public func sandboxOutcome(iin: IIN) async throws -> SandboxOutcome? {
        try await CitizenModel.query(on: database).filter(\.$iin == iin.digits).first()
            .flatMap { SandboxOutcome(rawValue: $0.sandboxOutcome) }
    }

    /// Inserts or updates citizens by IIN, all in one transaction.
    public func save(_ citizens: [(citizen: Citizen, outcome: SandboxOutcome)]) async throws {
        try await database.transaction { transaction in
            for (citizen, outcome) in citizens {
                let model = try await CitizenModel.query(on: transaction).filter(\.$iin == citizen.iin.digits).first() ?? CitizenModel()
                model.iin = citizen.iin.digits
                model.phone = citizen.phone.digits
                model.surname = citizen.name.surname
                model.givenName = citizen.name.givenName
                model.patronymic = citizen.name.patronymic
                model.latinSurname = citizen.latinName.surname
                model.latinGivenName = citizen.latinName.givenName
                model.latinPatronymic = citizen.latinName.patronymic
                model.sandboxOutcome = outcome.rawValue
                try await model.save(on: transaction)
            }
        }
    }
}
