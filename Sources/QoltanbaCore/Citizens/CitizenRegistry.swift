/// The port to the citizen registry (MCDB): who an IIN is and which phone belongs to them.
public protocol CitizenRegistry: Sendable {
    /// The citizen with this IIN when the registry lists `phone` as theirs, else nil.
    /// - Throws: when the registry cannot be asked.
    func citizen(iin: IIN, phone: PhoneNumber) async throws -> Citizen?
}
