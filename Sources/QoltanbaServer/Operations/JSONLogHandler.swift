import Foundation
import Logging

/// `QOLTANBA_LOG_FORMAT=json`: one JSON object per line on standard error, with the time (UTC,
/// milliseconds), the level, the message, the logger's label, and every metadata value as a
/// string under its own key (`request-id`, `session.id`, `organization.id`, … where known).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One log line's JSON: the fixed fields win over metadata of the same name.
    static func line(
        time: Date, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata
    ) -> String {
        var fields = metadata.mapValues { "\($0)" }
        fields["time"] = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = level.rawValue
        fields["message"] = message
        fields["label"] = label
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(fields)) ?? Data(#"{"message":"a log line could not be written as JSON"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }

    func log(event: LogEvent) {
        var all = metadataProvider?.get() ?? [:]
        all.merge(metadata) { _, own in own }
        all.merge(event.metadata ?? [:]) { _, given in given }
        let text = Self.line(time: Date(), level: event.level, message: "\(event.message)", label: label, metadata: all)
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The process's log handlers, in either format, behind one policy: no log line carries what a
/// request or the database carried. Libraries dump requests, answers and protocol messages at
/// trace (Vapor's HTTP parts with `x-api-key`, SMS codes and documents; PostgresNIO's messages),
/// and the database drivers log each query with its values at debug (IINs, phone numbers, sealed
/// keys). Qoltanba writes nothing at trace, so trace is read as debug, and query logs are dropped.
struct ScrubbedLogHandler: LogHandler {
    private var inner: any LogHandler

    /// The handler for `label` at `level` (at least debug) in `format`.
    static func make(label: String, level: Logger.Level, format: QoltanbaConfiguration.LogFormat) -> ScrubbedLogHandler {
        let level = max(level, .debug)
        if format == .json { return ScrubbedLogHandler(inner: JSONLogHandler(label: label, level: level)) }
        var text = StreamLogHandler.standardError(label: label)
        text.logLevel = level
        return ScrubbedLogHandler(inner: text)
    }

    private init(inner: any LogHandler) {
        self.inner = inner
    }

    /// FluentKit's `Running query` (with the filter values) and SQLKit's `Executing query` (with the binds).
    static func carriesQueryValues(_ message: String, metadata: Logger.Metadata?) -> Bool {
        message == "Running query" || message == "Executing query" || metadata?["binds"] != nil
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = max(newValue, .debug) }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= .debug, !Self.carriesQueryValues("\(event.message)", metadata: event.metadata) else { return }
        inner.log(event: event)
    }
}
