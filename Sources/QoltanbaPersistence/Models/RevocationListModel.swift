import Fluent
import Foundation

/// A CRL as issued: the newest one is served until its next update, or until a revocation
/// issues the next.
// @unchecked Sendable: see OrganizationModel.
final class RevocationListModel: Model, @unchecked Sendable {
    static let schema = "revocation_lists"

    @ID(key: .id) var id: UUID?
    /// The CRL number; unique, so two instances never issue the same number twice.
    @Field(key: "number") var number: Int64
    @Field(key: "der") var der: Data
    @Field(key: "this_update") var thisUpdate: Date
    @Field(key: "next_update") var nextUpdate: Date

    init() {}

    init(number: Int64, der: Data, thisUpdate: Date, nextUpdate: Date) {
        self.number = number
        self.der = der
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}
