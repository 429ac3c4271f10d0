import Fluent
import Foundation
import QoltanbaCore

/// A person of the database-backed citizen registry: the sandbox's test citizens.
// @unchecked Sendable: see OrganizationModel.
final class CitizenModel: Model, @unchecked Sendable {
    static let schema = "citizens"

    @ID(key: .id) var id: UUID?
    @Field(key: "iin") var iin: String
    @Field(key: "phone") var phone: String
    @Field(key: "surname") var surname: String
    @Field(key: "given_name") var givenName: String
    @Field(key: "patronymic") var patronymic: String
    @Field(key: "latin_surname") var latinSurname: String
    @Field(key: "latin_given_name") var latinGivenName: String
    @Field(key: "latin_patronymic") var latinPatronymic: String
    /// What the sandbox providers do for this person (`SandboxOutcome`).
    @Field(key: "sandbox_outcome") var sandboxOutcome: String

    init() {}

    /// The domain value; nil when a stored IIN or phone no longer validates.
    var citizen: Citizen? {
        guard let iin = try? IIN(iin), let phone = try? PhoneNumber(phone) else { return nil }
        return Citizen(
            iin: iin, phone: phone,
            name: PersonName(surname: surname, givenName: givenName, patronymic: patronymic),
            latinName: PersonName(surname: latinSurname, givenName: latinGivenName, patronymic: latinPatronymic))
    }
}
