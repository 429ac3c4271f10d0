import Fluent
import Foundation

/// A certificate of Qoltanba's own CA (`root` or `issuing`) with its private key sealed under
/// the master key.
// @unchecked Sendable: see OrganizationModel.
final class AuthorityCertificateModel: Model, @unchecked Sendable {
    static let schema = "authority_certificates"

    @ID(key: .id) var id: UUID?
    /// `root` or `issuing`; unique, so that concurrent first starts create one authority.
    @Field(key: "role") var role: String
    @Field(key: "certificate") var certificate: Data
    /// AES-GCM box of the PKCS #8 key under the master key, authenticated with the role.
    @Field(key: "sealed_key") var sealedKey: Data
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(role: String, certificate: Data, sealedKey: Data) {
        self.role = role
        self.certificate = certificate
        self.sealedKey = sealedKey
    }
}
