import Foundation
import QoltanbaCore
import QoltanbaPersistence

/// A session's history as the cabinet shows it.
enum SessionTimeline {
    /// The session's history: its creation, its log (status changes and the signing client's
    /// steps), and every webhook delivery attempt, oldest first.
    static func entries(of session: SigningSession, in stores: Stores, language: ClientLanguage) async throws
        -> [CabinetPage.TimelineEntry]
    {
        let id = session.id
        var entries = [CabinetPage.TimelineEntry(at: session.createdAt, event: "created", text: language.text(CabinetText.eventCreated))]
        for entry in try await stores.sessions.log(of: id) {
            let step = entry.step.flatMap(SigningFlow.Step.init(rawValue:)).map { Self.stepName($0, language) } ?? (entry.step ?? "")
            switch entry.event {
            case .status:
                switch SessionStatus(rawValue: entry.detail ?? "") {
                case .process: entries.append(.init(at: entry.at, event: "opened", text: language.text(CabinetText.eventOpened)))
                case .finished: entries.append(.init(at: entry.at, event: "finished", text: language.text(CabinetText.eventFinished)))
                case .canceled:
                    let reason = session.lifecycle.state.failureReason.map { "\($0.type.rawValue): \($0.detail)" } ?? "OTHER"
                    entries.append(.init(at: entry.at, event: "canceled", text: language.text(CabinetText.eventCanceled, reason)))
                case .started, nil: break
                }
            case .stepPassed:
                entries.append(.init(at: entry.at, event: "step-passed", text: language.text(CabinetText.eventStepPassed, step)))
            case .stepFailed:
                let reason = entry.detail.flatMap(ClientFailure.init(rawValue:)).map { language.text($0) } ?? (entry.detail ?? "")
                entries.append(.init(at: entry.at, event: "step-failed", text: language.text(CabinetText.eventStepFailed, step, reason)))
            case .stepWrong:
                let what = entry.detail == SigningFlowService.Notice.passwordWrong.rawValue
                    ? language.text(CabinetText.wrongPassword) : language.text(CabinetText.wrongCode)
                entries.append(.init(at: entry.at, event: "step-wrong", text: language.text(CabinetText.eventStepWrong, step, what)))
            case nil: break
            }
        }
        for delivery in try await stores.webhooks.deliveries(of: id) {
            let event = delivery.event
            for attempt in delivery.attempts {
                let answer = "\(CabinetPage.answer(status: attempt.status, error: attempt.error)) (\(language.text(CabinetText.milliseconds, attempt.milliseconds)))"
                entries.append(.init(at: attempt.attemptedAt, event: "webhook", text: language.text(CabinetText.eventWebhook, event.event, answer)))
            }
        }
        // At the same moment, the step that ended a session comes before the status it ended with.
        func rank(_ entry: CabinetPage.TimelineEntry) -> Int { ["finished", "canceled"].contains(entry.event) ? 1 : 0 }
        return entries.enumerated().sorted { ($0.element.at, rank($0.element), $0.offset) < ($1.element.at, rank($1.element), $1.offset) }
            .map(\.element)
    }

    /// A step's name: the signing client's for its stage, the cabinet's for the first-time password's two steps.
    static func stepName(_ step: SigningFlow.Step, _ language: ClientLanguage) -> String {
        switch step {
        case .documents: language.text(.stepDocuments)
        case .liveness: language.text(.stepLiveness)
        case .faceMatch: language.text(.stepFaceMatch)
        case .passwordCreate: language.text(.stepPasswordCreate)
        case .passwordOTP: language.text(.stepPasswordOTP)
        case .password: language.text(.stepPassword)
        case .certificate: language.text(.stepCertificate)
        case .sign, .done, .failed: language.text(.stepSign)
        }
    }
}
