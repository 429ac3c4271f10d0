import Vapor

/// Server-rendered pages: escaping and the page frame, with a policy that allows no inline script.
enum HTML {
    /// The policy of every page: scripts, styles and everything else from Qoltanba only; camera
    /// frames as blob/data images; never framed by another site.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    /// Escapes text for an element's content or a quoted attribute.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// A whole page: `body` inside the frame, with the stylesheet, the script when asked for, and
    /// headers that keep it out of caches and frames.
    static func page(
        title: String, language: String, dark: Bool = false, script: Bool = false, body: String, status: HTTPStatus = .ok
    ) -> Response {
        let html = """
            <!doctype html>
            <html lang="\(escape(language))" class="\(dark ? "dark" : "light")">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <link rel="stylesheet" href="/sign/assets/client.css">\(script ? "\n<script src=\"/sign/assets/client.js\" defer></script>" : "")
            </head>
            <body>
            \(body)
            </body></html>
            """
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return Response(status: status, headers: headers, body: .init(string: html))
    }
}
