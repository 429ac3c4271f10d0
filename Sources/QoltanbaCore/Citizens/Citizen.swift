/// A person as the citizen registry (MCDB) knows them.
public struct Citizen: Hashable, Sendable {
    /// The person's IIN.
    public var iin: IIN
    /// The mobile number registered to the IIN.
    public var phone: PhoneNumber
    /// Names in Kazakh Cyrillic.
    public var name: PersonName
    /// Names in Latin transliteration.
    public var latinName: PersonName
    /// The registry photo (JPEG or PNG), when the registry has one: the face match's reference.
    public var photo: [UInt8]?

    /// Creates a citizen record.
    public init(iin: IIN, phone: PhoneNumber, name: PersonName, latinName: PersonName, photo: [UInt8]? = nil) {
        self.iin = iin
        self.phone = phone
        self.name = name
        self.latinName = latinName
        self.photo = photo
    }
}

/// A surname, a given name and a patronymic (empty when the person has none).
public struct PersonName: Hashable, Sendable, Codable {
    /// The family name.
    public var surname: String
    /// The first name.
    public var givenName: String
    /// The patronymic (in the NCA certificate profile, the `G` attribute).
    public var patronymic: String

    /// Creates a name.
    public init(surname: String, givenName: String, patronymic: String) {
        self.surname = surname
        self.givenName = givenName
        self.patronymic = patronymic
    }

    /// `SURNAME GIVEN PATRONYMIC`, as documents print it.
    public var full: String {
        [surname, givenName, patronymic].filter { !$0.isEmpty }.joined(separator: " ")
    }
}
