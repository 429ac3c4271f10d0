/// The kind of document a session signs, chosen at creation.
public enum DocumentType: String, CaseIterable, Codable, Hashable, Sendable {
    /// PDF documents.
    case pdf
    /// XML documents.
    case xml

    /// Parses the API reference's spellings: `pdf`, `xml`, `.pdf`, `.xml`, in any letter case.
    /// - Throws: ``QoltanbaError`` with code `invalidField` naming `document_type`.
    public init(parsing text: String) throws(QoltanbaError) {
        let name = text.hasPrefix(".") ? String(text.dropFirst()) : text
        guard let type = DocumentType(rawValue: name.lowercased()) else {
            throw .invalidField("document_type", "must be pdf or xml (also .pdf or .xml)")
        }
        self = type
    }

    /// The media type of an original of this type.
    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .xml: "application/xml"
        }
    }
}
