import Fluent
import QoltanbaCore

/// The citizen registry kept in the `citizens` table: the sandbox's test citizens.
struct DatabaseCitizenRegistry: CitizenRegistry {
    let database: any Database

    func citizen(iin: IIN, phone: PhoneNumber) async throws -> Citizen? {
        try await CitizenModel.query(on: database)
            .filter(\.$iin == iin.digits)
            .filter(\.$phone == phone.digits)
            .first()?
            .citizen
    }
}
