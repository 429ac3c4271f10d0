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
}
