import Foundation
import QoltanbaCore
import QoltanbaPersistence

/// What the cabinet's pages show, as plain values: the pages never see a database model.
extension CabinetPage {
    struct Organization {
        let id: String
        let name: String
        let createdAt: Date?
        let webhookURL: String?
        /// Until when the previous webhook secret still signs, during a rotation's overlap.
        let previousSecretUntil: Date?
        let redirectOrigins: [String]

        init(_ organization: QoltanbaPersistence.Organization) {
            id = organization.id.apiString
            name = organization.name
            createdAt = organization.createdAt
            webhookURL = organization.webhookURL
            previousSecretUntil = organization.webhookPreviousSecret == nil ? nil : organization.webhookPreviousUntil
            redirectOrigins = organization.redirectOrigins
        }
    }

    struct Key {
        let id: String
        let prefix: String
        let label: String
        let createdAt: Date?
        let lastUsedAt: Date?
        let revokedAt: Date?

        init(_ model: APIKey) {
            id = model.id.apiString
            prefix = model.prefix
            label = model.label
            createdAt = model.createdAt
            lastUsedAt = model.lastUsedAt
            revokedAt = model.revokedAt
        }
    }

    struct Session {
        let id: String
        let status: String
        let failureType: String?
        /// `TYPE: detail`, for a canceled session.
        let failure: String?
        let maskedIIN: String
        let documentType: String
        let checkID: String
        let createdAt: Date
        let expiresAt: Date

        init(_ session: SigningSession) {
            id = session.id.apiString
            status = session.status.rawValue
            let reason = session.lifecycle.state.failureReason
            failureType = reason?.type.rawValue
            failure = reason.map { "\($0.type.rawValue): \($0.detail)" }
            maskedIIN = session.iin.masked
            documentType = session.documentType.rawValue
            checkID = session.checkID.apiString
            createdAt = session.createdAt
            expiresAt = session.expiresAt
        }
    }

    struct Attempt {
        let at: Date
        /// The status code, or the error.
        let answer: String
        let milliseconds: Int

        init(_ model: WebhookAttempt) {
            at = model.attemptedAt
            answer = CabinetPage.answer(status: model.status, error: model.error)
            milliseconds = model.milliseconds
        }
    }

    struct Event {
        let id: String
        let event: String
        let sessionID: String
        let state: String
        let attemptCount: Int
        let lastAnswer: String
        /// When the next try is due; nil unless pending.
        let nextAttemptAt: Date?
        let createdAt: Date
        let attempts: [Attempt]

        init(_ delivery: WebhookDelivery) {
            let model = delivery.event
            id = model.id.apiString
            event = model.event
            sessionID = model.sessionID.apiString
            state = model.state.rawValue
            attemptCount = model.attempts
            lastAnswer = CabinetPage.answer(status: model.lastStatus, error: model.lastError)
            nextAttemptAt = model.state == .pending ? model.nextAttemptAt : nil
            createdAt = model.createdAt
            self.attempts = delivery.attempts.map(Attempt.init)
        }
    }

    /// What an attempt got: the status code, or the error.
    static func answer(status: Int?, error: String?) -> String {
        status.map(String.init) ?? error ?? "—"
    }
}
