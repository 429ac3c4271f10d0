import Foundation
import QoltanbaCore
import QoltanbaPKI
import Vapor

/// The public check page: a session's documents and their verified signers, with a form to check
/// a file and the verdict on the last one checked. Personal data arrives masked.
struct CheckPage {
    let language: ClientLanguage
    let dark: Bool

    /// What an uploaded file turned out to be.
    enum Verdict {
        case original(String)
        case copy(String)
        case cms(SignatureReport)
        case noMatch
    }

    /// A text of the page, escaped.
    private func t(_ key: ClientText, _ arguments: CustomStringConvertible...) -> String {
        HTML.escape(language.text(key, arguments: arguments))
    }

    /// The page of a check id that names no session.
    func notFound() -> Response {
        HTML.page(
            title: language.text(.checkTitle), language: language.rawValue, dark: dark,
            body: "<main><section class=\"step\" data-step=\"check-not-found\"><h1>\(t(.checkTitle))</h1><p>\(t(.checkNotFound))</p></section></main>",
            status: .notFound)
    }

    /// The session's page, with the verdict on an uploaded file.
    func render(_ summary: CheckService.Summary, verdict: Verdict?) -> Response {
        var body = """
            <header><span class="brand">Qoltanba</span> <span>\(t(.checkTitle))</span></header>
            <main><section class="step" data-step="check">
            <h1>\(t(.checkTitle))</h1>
            <dl class="certificate">
            <dt>\(t(.checkOrganization))</dt><dd>\(HTML.escape(summary.organization))</dd>
            <dt>\(t(.checkStatus))</dt><dd data-status="\(HTML.escape(summary.status))">\(HTML.escape(summary.status))</dd>
            </dl>
            """
        if let verdict {
            let (text, good): (String, Bool) = switch verdict {
            case .original(let name): (t(.checkOriginal, name), true)
            case .copy(let name): (t(.checkCopy, name), true)
            case .cms(let report) where report.indication == .totalPassed: (t(.checkCMSPassed), true)
            case .cms(let report): (t(.checkCMSFailed, report.subIndication?.rawValue ?? report.indication.rawValue), false)
            case .noMatch: (t(.checkNoMatch), false)
            }
            let kind = switch verdict {
            case .original: "original"
            case .copy: "copy"
            case .cms(let report): report.indication == .totalPassed ? "cms-valid" : "cms-invalid"
            case .noMatch: "no-match"
            }
            body += "<p class=\"\(good ? "verdict" : "error")\" role=\"status\" data-verdict=\"\(kind)\">\(text)</p>\n"
        }
        for document in summary.documents {
            let signers = document.signers.isEmpty ? "<p class=\"hint\">\(t(.checkNoSigners))</p>" : "<ol class=\"signers\">" + document.signers.map { signer in
                "<li data-verification=\"\(HTML.escape(signer.verification))\"><strong>\(HTML.escape(signer.name))</strong><br>\(t(.checkVerified)): \(HTML.escape(signer.verification))<br>\(t(.sheetIIN)): \(HTML.escape(signer.iin))<br>\(t(.sheetSignedAt)): \(HTML.escape(signer.signed_at.flatMap { try? Date($0, strategy: .iso8601) }.map(StampedCopies.almatyTime) ?? "—"))<br>\(t(.sheetSerial)): <span class=\"serial\">\(HTML.escape(signer.certificate_serial ?? "—"))</span></li>"
            }.joined() + "</ol>"
            body += """
                <h2>\(HTML.escape(document.name))</h2>
                <dl class="certificate">
                <dt>\(t(.sheetSHA256))</dt><dd class="serial">\(document.sha256)</dd>
                <dt>\(t(.checkSize))</dt><dd>\(document.size)</dd>
                </dl>
                <h3>\(t(.sheetSigners))</h3>
                \(signers)

                """
        }
        body += """
            <form method="post" enctype="multipart/form-data" action="/check/\(summary.check_id)?language=\(language.rawValue)\(dark ? "&amp;theme=1" : "")">
            <label for="file">\(t(.checkUploadLabel))</label>
            <input id="file" name="file" type="file" required>
            <button type="submit" data-action="next">\(t(.checkAction))</button>
            </form>
            </section></main>
            """
        return HTML.page(title: language.text(.checkTitle), language: language.rawValue, dark: dark, body: body)
    }
}
