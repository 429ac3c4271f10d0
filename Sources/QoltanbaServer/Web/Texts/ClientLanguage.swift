import Foundation
import QoltanbaCore

/// A set of texts in every language Qoltanba's pages speak (the signing client's, the cabinet's).
protocol Translated {
    /// The text in Kazakh, Russian and English.
    var translations: (kk: String, ru: String, en: String) { get }
}

/// The languages of Qoltanba's pages (the signing client, the check page, the cabinet). The API
/// reference says `kz` for Kazakh; `kk` is its ISO code.
enum ClientLanguage: String, CaseIterable, Sendable {
    case kk, ru, en

    /// `language` from the link (`kz` is Kazakh), else the first language of `Accept-Language`
    /// that the client speaks, else Russian.
    static func choose(query: String?, acceptLanguage: String?) -> ClientLanguage {
        if let language = query.flatMap(parse) { return language }
        let preferred = (acceptLanguage ?? "").split(separator: ",").map { part -> (String, Double) in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let weight = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (fields.first ?? "", weight)
        }
        for (tag, weight) in preferred.sorted(by: { $0.1 > $1.1 }) where weight > 0 {
            if let language = parse(String(tag.prefix { $0 != "-" && $0 != "_" })) { return language }
        }
        return .ru
    }

    private static func parse(_ code: String) -> ClientLanguage? {
        let code = code.lowercased()
        return code == "kz" ? .kk : ClientLanguage(rawValue: code)
    }

    /// A text in this language with `%1`, `%2` replaced by `arguments`.
    func text(_ key: ClientText, _ arguments: CustomStringConvertible...) -> String {
        text(key, arguments: arguments)
    }

    func text(_ key: CabinetText, _ arguments: CustomStringConvertible...) -> String {
        text(key, arguments: arguments)
    }

    func text(_ key: ClientText, arguments: [CustomStringConvertible]) -> String {
        translated(key, arguments: arguments)
    }

    func text(_ key: CabinetText, arguments: [CustomStringConvertible]) -> String {
        translated(key, arguments: arguments)
    }

    /// A text in this language with `%1`, `%2` replaced by `arguments`.
    private func translated(_ key: some Translated, arguments: [CustomStringConvertible]) -> String {
        let translations = key.translations
        var text = switch self {
        case .kk: translations.kk
        case .ru: translations.ru
        case .en: translations.en
        }
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "%\(index + 1)", with: argument.description)
        }
        return text
    }

    /// What a failure reason says to the signer.
    /// The SMS that carries a code: to confirm a new password, or to sign `documents` documents.
    func codeMessage(_ code: String, signing documents: Int?) -> String {
        documents.map { text(.smsSignText, code, $0) } ?? text(.smsPasswordText, code)
    }

    func text(_ failure: ClientFailure) -> String {
        switch failure {
        case .refresh: text(.reasonRefresh)
        case .faceToFace: text(.reasonF2F)
        case .liveness: text(.reasonLv)
        case .closed: text(.reasonClosed)
        case .livenessUnavailable: text(.reasonLvUnavailable)
        case .password: text(.reasonPassword)
        case .otp: text(.reasonOTP)
        case .request: text(.reasonRequest)
        case .reissue: text(.reasonReissue)
        case .certificate: text(.reasonCertificate)
        case .passwordOTP: text(.reasonPasswordOTP)
        case .acceptCertificate: text(.reasonAcceptCertificate)
        case .signDocument: text(.reasonSignDoc)
        case .video: text(.reasonVideo)
        }
    }
}
