import Foundation

/// The one timestamp format of the API: ISO 8601 in UTC with milliseconds, `2024-01-01T00:00:00.000Z`.
public enum APITimestamp {
    public static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func format(_ date: Date) -> String { style.format(date) }
}

extension UUID {
    /// The id as the API writes it: lower case, as the API reference's examples show.
    public var apiString: String { uuidString.lowercased() }
}

/// An optional that is written as `null` when absent, as the API reference's responses show
/// (`"sign": null`, `"failure_reason": null`), where Swift would leave the key out.
@propertyWrapper
public struct NullWhenAbsent<Value: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
