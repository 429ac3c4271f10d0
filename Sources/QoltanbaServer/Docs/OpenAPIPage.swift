import Foundation

/// Renders an OpenAPI document as one HTML page: every operation with its parameters, request
/// body fields and responses (with their example error texts), then the schemas.
struct OpenAPIPage {
    let document: [String: Any]

    private var schemas: [String: Any] {
        (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
    }

    func render() -> String {
        let info = document["info"] as? [String: Any] ?? [:]
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(info["title"] as? String ?? "API"))</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.45;color:#1b1b1b}
            h2{border-top:1px solid #ccc;padding-top:1rem}code{background:#f2f2f2;padding:0 .2em;border-radius:3px}
            .method{font-weight:bold;padding:.1em .5em;border-radius:4px;color:#fff;background:#2f6f3e}
            .method.post{background:#1f5fa8}table{border-collapse:collapse;width:100%;margin:.5rem 0}
            td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
            @media (prefers-color-scheme:dark){body{background:#151515;color:#e8e8e8}code{background:#2a2a2a}td,th{border-color:#444}}
            </style></head><body>
            <h1>\(escape(info["title"] as? String ?? "API")) <small>\(escape(info["version"] as? String ?? ""))</small></h1>
            <p>\(inline(info["description"] as? String ?? ""))</p>
            <p>Machine-readable: <a href="/swagger/openapi.json">/swagger/openapi.json</a> (OpenAPI \(escape(document["openapi"] as? String ?? "")))</p>

            """
        let paths = document["paths"] as? [String: Any] ?? [:]
        for path in paths.keys.sorted() {
            let operations = paths[path] as? [String: Any] ?? [:]
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = operations[method] as? [String: Any] else { continue }
                html += renderOperation(method: method, path: path, operation)
            }
        }
        html += "<h2 id=\"schemas\">Schemas</h2>\n"
        for name in schemas.keys.sorted() {
            html += "<h3 id=\"schema-\(escape(name))\">\(escape(name))</h3>\n"
            html += renderSchema(schemas[name] as? [String: Any] ?? [:])
        }
        return html + "</body></html>\n"
    }

    private func renderOperation(method: String, path: String, _ operation: [String: Any]) -> String {
        var html = "<h2><span class=\"method \(method)\">\(method.uppercased())</span> <code>\(escape(path))</code></h2>\n"
        html += "<p><strong>\(escape(operation["summary"] as? String ?? ""))</strong></p>\n"
        if let description = operation["description"] as? String { html += "<p>\(inline(description))</p>\n" }
        if operation["security"] != nil { html += "<p>Requires the <code>x-api-key</code> header.</p>\n" }
        if let parameters = operation["parameters"] as? [[String: Any]], !parameters.isEmpty {
            html += "<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr>\n"
            for parameter in parameters {
                html += "<tr><td><code>\(escape(parameter["name"] as? String ?? ""))</code></td>"
                html += "<td>\(escape(parameter["in"] as? String ?? ""))</td>"
                html += "<td>\((parameter["required"] as? Bool ?? false) ? "yes" : "no")</td>"
                html += "<td>\(inline(parameter["description"] as? String ?? ""))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if let body = operation["requestBody"] as? [String: Any], let content = body["content"] as? [String: Any] {
            for (mediaType, value) in content.sorted(by: { $0.key < $1.key }) {
                html += "<h3>Request body <code>\(escape(mediaType))</code></h3>\n"
                if let schema = (value as? [String: Any])?["schema"] as? [String: Any] {
                    html += renderSchema(resolve(schema))
                }
            }
        }
        html += "<h3>Responses</h3><table><tr><th>status</th><th>meaning</th><th>body</th></tr>\n"
        let responses = operation["responses"] as? [String: Any] ?? [:]
        for code in responses.keys.sorted() {
            let response = responses[code] as? [String: Any] ?? [:]
            html += "<tr><td>\(escape(code))</td><td>\(inline(response["description"] as? String ?? ""))</td><td>"
            let content = (response["content"] as? [String: Any])?.values.first as? [String: Any] ?? [:]
            if let reference = (content["schema"] as? [String: Any])?["$ref"] as? String {
                let name = String(reference.split(separator: "/").last ?? "")
                html += "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
            }
            if let examples = content["examples"] as? [String: Any] {
                let details = examples.keys.sorted().compactMap {
                    ((examples[$0] as? [String: Any])?["value"] as? [String: Any])?["detail"] as? String
                }
                html += details.map { "<br><code>\(escape($0))</code>" }.joined()
            }
            html += "</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func renderSchema(_ schema: [String: Any]) -> String {
        guard let properties = schema["properties"] as? [String: Any] else {
            return "<p>\(escape(typeName(schema)))</p>\n"
        }
        let required = Set(schema["required"] as? [String] ?? [])
        var html = "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>\n"
        for name in properties.keys.sorted() {
            let property = properties[name] as? [String: Any] ?? [:]
            html += "<tr><td><code>\(escape(name))</code></td><td>\(escape(typeName(property)))</td>"
            html += "<td>\(required.contains(name) ? "yes" : "no")</td>"
            html += "<td>\(inline(property["description"] as? String ?? ""))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let reference = schema["$ref"] as? String, let name = reference.split(separator: "/").last else {
            return schema
        }
        return schemas[String(name)] as? [String: Any] ?? schema
    }

    private func typeName(_ schema: [String: Any]) -> String {
        if let reference = schema["$ref"] as? String { return String(reference.split(separator: "/").last ?? "") }
        if let variants = schema["oneOf"] as? [[String: Any]] { return variants.map(typeName).joined(separator: " | ") }
        var name: String
        switch schema["type"] {
        case let type as String: name = type
        case let types as [String]: name = types.joined(separator: " | ")
        default: name = "any"
        }
        if let format = schema["format"] as? String { name += " (\(format))" }
        if let values = schema["enum"] as? [String] { name += ": " + values.joined(separator: ", ") }
        if let pattern = schema["pattern"] as? String { name += " matching \(pattern)" }
        return name
    }

    private func escape(_ text: String) -> String { HTML.escape(text) }

    /// Escapes the text and turns `code spans` into `<code>`.
    private func inline(_ text: String) -> String {
        escape(text).split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset % 2 == 1 ? "<code>\($0.element)</code>" : String($0.element) }
            .joined()
    }
}
