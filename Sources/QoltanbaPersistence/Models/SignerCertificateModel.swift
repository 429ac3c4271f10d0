import Fluent
import Foundation

/// A signer's certificate and the signer's private key, sealed under their password and the
/// master key (`SealedSigningKey` as JSON).
// @unchecked Sendable: see OrganizationModel.
final class SignerCertificateModel: Model, @unchecked Sendable {
    static let schema = "signer_certificates"

    @ID(key: .id) var id: UUID?
    @Field(key: "iin") var iin: String
    /// Upper-case hex of the serial number.
    @Field(key: "serial") var serial: String
    @Field(key: "certificate") var certificate: Data
    @Field(key: "algorithm") var algorithm: String
    @Field(key: "sealed_key") var sealedKey: String
    @Field(key: "not_before") var notBefore: Date
    @Field(key: "not_after") var notAfter: Date
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revocation_reason") var revocationReason: Int?

    init() {}
}
