import Foundation
import SwiftASN1

/// Object identifiers Qoltanba reads and writes.
public enum OID {
    public static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
    public static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    public static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
    public static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
    public static let signingTime: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
    public static let signingCertificateV2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 2, 47]
    public static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    public static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    public static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
    public static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    public static let sha256WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
    public static let sha384WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
    public static let sha512WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
    public static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    public static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    public static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    public static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
    /// Kazakh GOST signature and digest algorithms start here (1.2.398.3.10); Russian ones at 1.2.643.
    public static let kazakhGOSTPrefix: [UInt] = [1, 2, 398, 3, 10]
    public static let russianGOSTPrefix: [UInt] = [1, 2, 643]
    /// NCA individual key user (extended key usage).
    public static let individualKeyUser: ASN1ObjectIdentifier = [1, 2, 398, 3, 3, 4, 1, 1]
    /// NCA individual signing policy (certificate policies).
    public static let individualSigningPolicy: ASN1ObjectIdentifier = [1, 2, 398, 3, 3, 2, 3]
    public static let certificatePolicies: ASN1ObjectIdentifier = [2, 5, 29, 32]
    public static let crlDistributionPoints: ASN1ObjectIdentifier = [2, 5, 29, 31]
    public static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    public static let crlReason: ASN1ObjectIdentifier = [2, 5, 29, 21]
    public static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]

    /// Whether an algorithm is a GOST one, which swift-crypto cannot verify.
    static func isGOST(_ oid: ASN1ObjectIdentifier) -> Bool {
        let arcs = Array(oid.oidComponents)
        return arcs.starts(with: kazakhGOSTPrefix) || arcs.starts(with: russianGOSTPrefix)
    }
}

extension ASN1Identifier {
    static func context(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
    }
}

extension ASN1Node {
    /// The children of a constructed node.
    var children: [ASN1Node] {
        get throws {
            guard case .constructed(let nodes) = content else {
                throw ASN1Error.invalidASN1Object(reason: "expected a constructed node, found \(identifier)")
            }
            return Array(nodes)
        }
    }

    /// The content of a primitive node, or the concatenated content of a constructed (BER) string.
    var stringBytes: ArraySlice<UInt8> {
        get throws {
            switch content {
            case .primitive(let bytes): return bytes
            case .constructed(let nodes):
                var joined: [UInt8] = []
                for node in nodes { joined += try node.stringBytes }
                return joined[...]
            }
        }
    }

    /// The child at `index` of a constructed node.
    /// - Throws: when the node is primitive or has no such child, so that no input picks a position.
    func child(_ index: Int) throws -> ASN1Node {
        let nodes = try children
        guard nodes.indices.contains(index) else {
            throw ASN1Error.invalidASN1Object(reason: "a constructed node lacks a field")
        }
        return nodes[index]
    }

    /// The algorithm of an AlgorithmIdentifier (`SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }`).
    var algorithmIdentifier: ASN1ObjectIdentifier {
        get throws { try ASN1ObjectIdentifier(berEncoded: try expect(.sequence).child(0)) }
    }

    /// The node re-read as a DER value of another identifier (for implicitly tagged fields).
    func expect(_ identifier: ASN1Identifier) throws -> ASN1Node {
        guard self.identifier == identifier else {
            throw ASN1Error.unexpectedFieldType(self.identifier)
        }
        return self
    }
}

extension ArraySlice<ASN1Node> {
    /// Takes the next field of a structure being read.
    /// - Throws: when there is none, so that a short structure is an error and never a trap.
    mutating func take() throws -> ASN1Node {
        guard let node = popFirst() else { throw ASN1Error.invalidASN1Object(reason: "a structure lacks a field") }
        return node
    }
}

enum DERWriter {
    /// DER bytes of one serializable value.
    static func bytes(_ write: (inout DER.Serializer) throws -> Void) rethrows -> [UInt8] {
        var serializer = DER.Serializer()
        try write(&serializer)
        return serializer.serializedBytes
    }

    /// Orders encodings as a DER `SET OF` requires: as octet strings, the shorter padded with zeros.
    static func setOrder(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            if a != b { return a < b }
        }
        return left.count < right.count
    }

    /// A node from its tag byte and its content's parts, as bytes.
    static func node(_ tag: UInt8, _ parts: [[UInt8]]) -> [UInt8] {
        DERTree.node(tag, parts.map(DERTree.raw)).bytes
    }

    /// A `SET OF` (or an implicitly tagged one) of already encoded elements, sorted as DER wants.
    static func set(_ tag: UInt8, _ elements: [[UInt8]]) -> DERTree {
        .node(tag, (elements.count > 1 ? elements.sorted(by: setOrder) : elements).map(DERTree.raw))
    }

    static let sequenceTag: UInt8 = 0x30
    static let setTag: UInt8 = 0x31
    static let octetStringTag: UInt8 = 0x04
    static func contextTag(_ number: UInt8) -> UInt8 { 0xA0 | number }

    /// An AlgorithmIdentifier with absent parameters.
    static func algorithm(_ oid: ASN1ObjectIdentifier, nullParameters: Bool = false, to serializer: inout DER.Serializer) throws {
        try serializer.appendConstructedNode(identifier: .sequence) { inner in
            try inner.serialize(oid)
            if nullParameters { try inner.serialize(ASN1Null()) }
        }
    }

    /// A time as X.509 and CMS want it: UTCTime until 2049, GeneralizedTime from 2050.
    static func time(_ date: Date, to serializer: inout DER.Serializer) throws {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var c = tm()
        gmtime_r(&seconds, &c)
        let (year, month, day) = (Int(c.tm_year) + 1900, Int(c.tm_mon) + 1, Int(c.tm_mday))
        let (hours, minutes, second) = (Int(c.tm_hour), Int(c.tm_min), Int(c.tm_sec))
        if year < 2050 {
            try serializer.serialize(UTCTime(
                year: year, month: month, day: day, hours: hours, minutes: minutes, seconds: second))
        } else {
            try serializer.serialize(GeneralizedTime(
                year: year, month: month, day: day, hours: hours, minutes: minutes, seconds: second, fractionalSeconds: 0))
        }
    }

    /// Reads a UTCTime or GeneralizedTime.
    static func date(from node: ASN1Node) throws -> Date {
        var components = DateComponents()
        components.timeZone = .gmt
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        } else {
            let time = try GeneralizedTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: components) else {
            throw ASN1Error.invalidASN1Object(reason: "an impossible date")
        }
        return date
    }
}

/// DER built as a tree and written once into a buffer of the final size.
///
/// SwiftASN1's serializer shifts a node's whole content when its length takes more than one
/// byte, which dominates the cost of kilobyte-sized CMS; here every byte is copied once.
indirect enum DERTree {
    /// Bytes already encoded.
    case raw([UInt8])
    /// A node: tag byte and children.
    case node(UInt8, [DERTree])

    /// The size of the encoding.
    var count: Int {
        switch self {
        case .raw(let bytes): return bytes.count
        case .node(_, let children):
            let length = children.reduce(0) { $0 + $1.count }
            return 1 + Self.lengthCount(length) + length
        }
    }

    /// The encoding.
    var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        write(to: &bytes)
        return bytes
    }

    private func write(to bytes: inout [UInt8]) {
        switch self {
        case .raw(let raw):
            bytes += raw
        case .node(let tag, let children):
            let length = children.reduce(0) { $0 + $1.count }
            bytes.append(tag)
            if length < 0x80 {
                bytes.append(UInt8(length))
            } else {
                let octets = Self.lengthCount(length) - 1
                bytes.append(0x80 | UInt8(octets))
                for index in stride(from: octets - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
            }
            for child in children { child.write(to: &bytes) }
        }
    }

    private static func lengthCount(_ length: Int) -> Int {
        guard length >= 0x80 else { return 1 }
        var octets = 0
        var rest = length
        while rest > 0 {
            octets += 1
            rest >>= 8
        }
        return 1 + octets
    }
}
