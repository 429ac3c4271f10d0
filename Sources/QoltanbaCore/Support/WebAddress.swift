import Foundation

/// Absolute http(s) URLs: what redirect URLs, provider and webhook endpoints, and the public URL
/// must be.
public enum WebAddress {
    /// The URL's host when `text` is an absolute `http` or `https` URL with one, else nil.
    public static func host(ofAbsoluteHTTP text: String) -> String? {
        guard let components = URLComponents(string: text), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              let host = components.host, !host.isEmpty
        else { return nil }
        return host
    }

    /// The origin of an absolute http(s) URL: `scheme://host` and `:port` when not the scheme's
    /// default, in lower case (`https://Bank.kz:443/back` → `https://bank.kz`); nil for other text.
    public static func origin(of text: String) -> String? {
        guard let components = URLComponents(string: text), host(ofAbsoluteHTTP: text) != nil,
              let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased()
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return components.port.map { $0 == defaultPort ? "\(scheme)://\(shownHost)" : "\(scheme)://\(shownHost):\($0)" }
            ?? "\(scheme)://\(shownHost)"
    }

    /// Reads a list of allowed origins (separated by commas, spaces or new lines): each an http(s)
    /// origin with nothing after the host and port but an optional `/`.
    /// - Throws: ``QoltanbaError`` naming the first entry that is not an origin.
    public static func origins(_ text: String, field: String) throws(QoltanbaError) -> [String] {
        var origins: [String] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init) {
            let bare = entry.hasSuffix("/") ? String(entry.dropLast()) : entry
            guard let origin = origin(of: bare), let components = URLComponents(string: bare),
                  components.path.isEmpty, components.query == nil, components.fragment == nil, components.user == nil
            else {
                throw .invalidField(field, "'\(entry)' is not an origin such as https://bank.kz or https://bank.kz:8443")
            }
            if !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }
}
