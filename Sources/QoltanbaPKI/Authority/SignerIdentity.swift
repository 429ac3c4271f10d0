import Foundation
import QoltanbaCore
import SwiftASN1
import X509

/// Who a signer certificate names, in the Kazakh NCA profile:
/// `CN="SURNAME GIVEN", SURNAME=SURNAME, SERIALNUMBER=IIN…, C=KZ, G=PATRONYMIC`.
public struct SignerIdentity: Hashable, Sendable {
    /// The signer's IIN.
    public var iin: IIN
    /// The signer's name; certificates carry it in upper case.
    public var name: PersonName

    /// Creates an identity.
    public init(iin: IIN, name: PersonName) {
        self.iin = iin
        self.name = name
    }

    /// `SERIALNUMBER` (2.5.4.5).
    public static let serialNumberOID: ASN1ObjectIdentifier = [2, 5, 4, 5]
    /// `SURNAME` (2.5.4.4).
    public static let surnameOID: ASN1ObjectIdentifier = [2, 5, 4, 4]
    /// `G`, given name (2.5.4.42): the patronymic in the NCA profile.
    public static let givenNameOID: ASN1ObjectIdentifier = [2, 5, 4, 42]

    /// The subject distinguished name.
    public func distinguishedName() throws -> DistinguishedName {
        let surname = name.surname.uppercased()
        let commonName = [surname, name.givenName.uppercased()].filter { !$0.isEmpty }.joined(separator: " ")
        var attributes: [RelativeDistinguishedName.Attribute] = [
            .init(type: .RDNAttributeType.commonName, utf8String: commonName),
            .init(type: Self.surnameOID, utf8String: surname),
            try .init(type: Self.serialNumberOID, printableString: "IIN" + iin.digits),
            try .init(type: .RDNAttributeType.countryName, printableString: "KZ"),
        ]
        if !name.patronymic.isEmpty {
            attributes.append(.init(type: Self.givenNameOID, utf8String: name.patronymic.uppercased()))
        }
        return DistinguishedName(attributes.map { RelativeDistinguishedName($0) })
    }
}

extension DistinguishedName {
    /// The first value of an attribute type as text, e.g. the common name.
    public func firstValue(of type: ASN1ObjectIdentifier) -> String? {
        for rdn in self {
            for attribute in rdn where attribute.type == type {
                return String(describing: attribute.value)
            }
        }
        return nil
    }

    /// The IIN of an NCA-profile subject (`SERIALNUMBER=IIN…`), when it has one.
    public var iin: String? {
        guard let value = firstValue(of: SignerIdentity.serialNumberOID), value.hasPrefix("IIN") else { return nil }
        return String(value.dropFirst(3))
    }

    /// The common name, when there is one.
    public var commonName: String? { firstValue(of: .RDNAttributeType.commonName) }

    /// The whole name of an NCA-profile subject: the common name (`SURNAME NAME`) and the
    /// patronymic (`G`) when there is one.
    public var fullName: String? {
        guard let commonName else { return nil }
        return [commonName, firstValue(of: SignerIdentity.givenNameOID)].compactMap { $0 }.joined(separator: " ")
    }
}
