import Foundation
import QoltanbaCore
import Vapor

/// The signing client's screens, rendered on the server. Each step's root element carries
/// `data-step`, the button that moves on `data-action="next"`, and a wrong entry `data-error`
/// (the automation contract in the README).
struct ClientPage {
    let language: ClientLanguage
    let dark: Bool

    /// What a step screen shows besides its form.
    struct Context {
        let sessionID: UUID
        let flow: SigningFlow
        let documents: [(id: UUID, name: String)]
        let maskedPhone: String
        let notice: SigningFlowService.Notice?
        let certificate: (owner: String, serial: String, validUntil: Date, event: String)?
        /// The ZIP of the stamped copies, on the done screen, unless the integrator turned it off.
        let downloadURL: String?
    }

    /// A text of the page, escaped.
    private func t(_ key: ClientText, _ arguments: CustomStringConvertible...) -> String {
        HTML.escape(language.text(key, arguments: arguments))
    }

    /// The progress bar's stages; the password steps share one.
    private static let stages: [ClientText] = [.stepDocuments, .stepLiveness, .stepFaceMatch, .stepPassword, .stepCertificate, .stepSign]

    private static func stage(of step: SigningFlow.Step) -> Int {
        switch step {
        case .documents: 0
        case .liveness: 1
        case .faceMatch: 2
        case .passwordCreate, .passwordOTP, .password: 3
        case .certificate: 4
        case .sign: 5
        case .done, .failed: 6
        }
    }

    private func progress(_ step: SigningFlow.Step) -> String {
        let current = Self.stage(of: step)
        let items = Self.stages.enumerated().map { index, stage in
            let state = index < current ? "passed" : index == current ? "current" : "next"
            return "<li class=\"\(state)\"\(index == current ? " aria-current=\"step\"" : "")>\(t(stage))</li>"
        }
        return """
            <nav class="progress" aria-label="\(t(.progress))">
            <p class="progress-label">\(t(.stepOf, min(current + 1, Self.stages.count), Self.stages.count))</p>
            <ol>\(items.joined())</ol></nav>
            """
    }

    private func frame(_ step: SigningFlow.Step, _ context: Context?, script: Bool = false, _ content: String) -> Response {
        let documents = context.map { context in
            "<ul class=\"documents\">" + context.documents.map { "<li>\(HTML.escape($0.name))</li>" }.joined() + "</ul>"
        } ?? ""
        let body = """
            <header><span class="brand">Qoltanba</span> <span>\(t(.appTitle))</span></header>
            <main>
            \(step.isFinal ? "" : progress(step))
            <section class="step" data-step="\(step.rawValue)">
            \(content)
            </section>
            \(step == .documents ? "" : documents)
            </main>
            """
        return HTML.page(title: language.text(.appTitle), language: language.rawValue, dark: dark, script: script, body: body)
    }

    private func error(_ text: String) -> String {
        "<p class=\"error\" role=\"alert\" data-error>\(text)</p>"
    }

    private func notice(_ context: Context) -> String {
        guard let notice = context.notice else { return "" }
        let flow = context.flow
        return switch notice {
        case .passwordTooShort: error(t(.passwordTooShort))
        case .passwordMismatch: error(t(.passwordMismatch))
        case .passwordWrong: error(t(.passwordWrong, SigningFlow.maximumAttempts - flow.passwordAttempts))
        case .codeWrong: error(t(.otpWrong, SigningFlow.maximumAttempts - flow.codeAttempts))
        case .smsFailed: error(t(.smsFailed))
        case .resendLimit: error(t(.otpResendLimit))
        }
    }

    private func form(_ context: Context, _ action: String, _ fields: String = "", button: ClientText = .continueAction, auto: Bool = false) -> String {
        """
        <form method="post" action="/sign/\(context.sessionID.apiString)/\(action)"\(auto ? " data-auto-submit" : "")>
        \(fields)<button type="submit" data-action="next">\(t(button))</button>
        </form>
        """
    }

    private func field(_ name: String, _ label: ClientText, type: String, autocomplete: String, extra: String = "") -> String {
        """
        <label for="\(name)">\(t(label))</label>
        <input id="\(name)" name="\(name)" type="\(type)" autocomplete="\(autocomplete)" required\(extra)>

        """
    }

    private func codeForm(_ context: Context, button: ClientText) -> String {
        let code = field("otp", .otpLabel, type: "text", autocomplete: "one-time-code",
                         extra: " inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\"")
        return """
            <p>\(t(.otpSent, context.maskedPhone))</p>
            \(notice(context))
            \(form(context, "code", code, button: button))
            <form method="post" action="/sign/\(context.sessionID.apiString)/resend" class="secondary">
            <button type="submit" data-action="resend">\(t(.otpResend))</button></form>
            """
    }

    /// The screen of the flow's current step.
    func step(_ context: Context) -> Response {
        let id = context.sessionID.apiString
        let step = context.flow.step
        switch step {
        case .documents:
            let links = context.documents.map {
                "<li><a href=\"/sign/\(id)/documents/\($0.id.apiString)\" target=\"_blank\" rel=\"noopener\">\(HTML.escape($0.name))</a></li>"
            }
            return frame(step, context, """
                <h1>\(t(.documentsHeading))</h1>
                <p>\(t(.documentsIntro))</p>
                <ul class="documents open">\(links.joined())</ul>
                \(form(context, "documents"))
                """)
        case .liveness:
            return frame(step, context, script: true, """
                <h1>\(t(.livenessHeading))</h1>
                <p>\(t(.livenessIntro))</p>
                <div class="camera" data-liveness data-frames="/sign/\(id)/liveness" data-closed="/sign/\(id)/closed"
                 data-text-capturing="\(t(.livenessCapturing))" data-text-sending="\(t(.livenessSending))">
                <video autoplay playsinline muted aria-label="\(t(.livenessCameraLabel))"></video>
                </div>
                <p class="status" data-status role="status">\(t(.livenessStarting))</p>
                <button type="button" class="secondary" data-action="close">\(t(.livenessGiveUp))</button>
                """)
        case .faceMatch:
            return frame(step, context, script: true, """
                <h1>\(t(.faceMatchHeading))</h1>
                <p>\(t(.faceMatchIntro))</p>
                <p class="status" role="status">\(t(.working))</p>
                \(form(context, "face-match", button: .faceMatchAction, auto: true))
                """)
        case .passwordCreate:
            let fields = field("password", .passwordLabel, type: "password", autocomplete: "new-password", extra: " minlength=\"8\"")
                + field("password_confirm", .passwordConfirmLabel, type: "password", autocomplete: "new-password", extra: " minlength=\"8\"")
                + "<p class=\"hint\">\(t(.passwordRule))</p>\n"
            return frame(step, context, """
                <h1>\(t(.passwordCreateHeading))</h1>
                <p>\(t(.passwordCreateIntro))</p>
                \(notice(context))
                \(form(context, "password", fields))
                """)
        case .passwordOTP:
            return frame(step, context, """
                <h1>\(t(.passwordOTPHeading))</h1>
                \(codeForm(context, button: .continueAction))
                """)
        case .password:
            return frame(step, context, """
                <h1>\(t(.passwordHeading))</h1>
                <p>\(t(.passwordIntro))</p>
                \(notice(context))
                \(form(context, "password", field("password", .passwordLabel, type: "password", autocomplete: "current-password")))
                """)
        case .certificate:
            var details = ""
            if let certificate = context.certificate {
                let event: ClientText = switch certificate.event {
                case "reused": .certificateReused
                case "reissued": .certificateReissued
                default: .certificateIssued
                }
                let date = certificate.validUntil.formatted(.iso8601.year().month().day())
                details = """
                    <p>\(t(event))</p>
                    <dl class="certificate">
                    <dt>\(t(.certificateOwner))</dt><dd>\(HTML.escape(certificate.owner))</dd>
                    <dt>\(t(.certificateSerial))</dt><dd class="serial">\(HTML.escape(certificate.serial))</dd>
                    <dt>\(t(.certificateValidUntil))</dt><dd>\(date)</dd>
                    </dl>
                    """
            }
            return frame(step, context, """
                <h1>\(t(.certificateHeading))</h1>
                \(details)
                \(notice(context))
                \(form(context, "certificate"))
                """)
        case .sign:
            return frame(step, context, """
                <h1>\(t(.signHeading))</h1>
                <p>\(t(.signIntro, context.documents.count))</p>
                \(codeForm(context, button: .signAction))
                """)
        case .done, .failed:
            return outcome(context.flow.failure, context: context)
        }
    }

    /// The end of the flow, when there is no `redirect_url` to go back to.
    func outcome(_ failure: ClientFailure?, context: Context? = nil) -> Response {
        if let failure {
            return frame(.failed, context, """
                <h1>\(t(.failedHeading))</h1>
                <p class="reason" data-reason="\(failure.rawValue)">\(HTML.escape(language.text(failure)))</p>
                """)
        }
        let download = context?.downloadURL.map {
            "<p><a class=\"download\" href=\"\(HTML.escape($0))\" data-action=\"download\" download>\(t(.downloadAction))</a></p>"
        } ?? ""
        return frame(.done, context, """
            <h1>\(t(.doneHeading))</h1>
            <p>\(t(.doneText))</p>
            \(download)
            """)
    }
}
