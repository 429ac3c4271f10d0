import Fluent
import Foundation
import QoltanbaCore

/// The signing client's state for one session: which browser holds it, where the signer stands,
/// the attempt counters, the pending SMS code (hashed) and, between the password and the signing,
/// the password sealed under the browser's token and the master key.
// @unchecked Sendable: see OrganizationModel.
final class SigningFlowModel: Model, @unchecked Sendable {
    static let schema = "signing_flows"

    /// The session's id.
    @ID(custom: "id", generatedBy: .user) var id: UUID?
    /// Hex SHA-256 of the browser's cookie token.
    @Field(key: "browser_hash") var browserHash: String
    @OptionalField(key: "redirect_url") var redirectURL: String?
    @Field(key: "language") var language: String
    @Field(key: "theme") var theme: Int
    @Field(key: "step") var step: String
    @Field(key: "returning") var returning: Bool
    @Field(key: "password_attempts") var passwordAttempts: Int
    @Field(key: "code_attempts") var codeAttempts: Int
    @Field(key: "codes_sent") var codesSent: Int
    @OptionalField(key: "code_hash") var codeHash: String?
    @OptionalField(key: "code_expires_at") var codeExpiresAt: Date?
    @OptionalField(key: "activation") var activation: Data?
    /// The frame the face match compares, kept only until it has.
    @OptionalField(key: "face_frame") var faceFrame: Data?
    @OptionalField(key: "certificate_id") var certificateID: UUID?
    /// `reused`, `issued` or `reissued`: what the certificate step did.
    @OptionalField(key: "certificate_event") var certificateEvent: String?
    /// The client reason the flow failed with.
    @OptionalField(key: "failure") var failure: String?
    /// Raised when a request takes the flow and again when it lets it go (`SigningFlowService.claim`);
    /// `locked_until`, beside it, is only ever written in SQL.
    @Field(key: "version") var version: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

// @unchecked Sendable: see OrganizationModel.
final class SandboxMessageModel: Model, @unchecked Sendable {
    static let schema = "sandbox_messages"

    @ID(key: .id) var id: UUID?
    @Field(key: "phone") var phone: String
    @Field(key: "text") var text: String
    @Field(key: "code") var code: String
    @Field(key: "sent_at") var sentAt: Date

    init() {}

    init(phone: String, text: String, code: String, sentAt: Date) {
        self.id = UUID()
        self.phone = phone
        self.text = text
        self.code = code
        self.sentAt = sentAt
    }
}
