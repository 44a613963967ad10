import Foundation
import Logging
import Manifest

/// How the agent writes its log: one JSON object per line, or readable text.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text
    case json

    static func parse(_ text: String) throws(AgentError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw AgentError(.configuration, "unknown log format '\(text)'; use json or text", next: .needsPerson)
        }
        return format
    }
}

/// A swift-log handler that writes each message as one line (to stderr by default):
///
/// - `json`: `{"level":"info","message":"...","time":"2026-05-01T12:00:00.123Z",...metadata}`,
///   keys sorted, one object per line (for CloudWatch Logs, journald, jq);
/// - `text`: `2026-05-01T12:00:00.123Z info message key=value ...`.
///
/// It prints what it is given: the agent never puts credentials or key material in
/// messages or metadata.
public struct LogLineHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let format: LogFormat
    private let output: @Sendable (String) -> Void
    private let now: @Sendable () -> Date

    public init(format: LogFormat, level: Logger.Level = .info, now: @escaping @Sendable () -> Date = Date.init,
                output: @escaping @Sendable (String) -> Void = LogLineHandler.standardError) {
        self.format = format
        self.logLevel = level
        self.now = now
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        output(line(level: event.level, message: event.message.description, metadata: fields))
    }

    /// The line for one message, without the newline.
    func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let time = Self.timestamp(now())
        switch format {
        case .json:
            var members = ["\"level\":" + JSONString.quoted(level.rawValue), "\"message\":" + JSONString.quoted(message),
                           "\"time\":" + JSONString.quoted(time)]
            for (key, value) in metadata where !["level", "message", "time"].contains(key) {
                members.append(JSONString.quoted(key) + ":" + Self.json(value))
            }
            let sorted = members.sorted()
            return "{" + sorted.joined(separator: ",") + "}"
        case .text:
            // Control characters are escaped: a newline in a stack or file name must not
            // start a forged line.
            var text = "\(time) \(level.rawValue) \(Self.escaped(message))"
            for key in metadata.keys.sorted() {
                let value = "\(metadata[key]!)"
                let plain = !value.isEmpty && !value.unicodeScalars.contains { $0 == " " || Self.isControl($0) }
                text += " \(Self.escaped(key))=" + (plain ? value : Self.quoted(value))
            }
            return text
        }
    }

    /// Writes `line` and a newline to stderr in one `write`, so lines of threads never mix.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// `text` with each control character (C0, DEL, C1, and the Unicode line and
    /// paragraph separators) written as `\n`, `\r`, `\t` or `\u{XX}`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `"text"`, with `\` and `"` escaped as in JSON and control characters as `escaped` writes them.
    static func quoted(_ text: String) -> String {
        "\"" + escaped(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")) + "\""
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let seconds = Timestamp.format(date)
        let millis = Int((date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)) * 1000)
        let fraction = String(1000 + min(max(millis, 0), 999)).dropFirst()
        return seconds.dropLast() + "." + fraction + "Z"
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): JSONString.quoted(text)
        case .stringConvertible(let convertible): JSONString.quoted(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            "{" + values.keys.sorted().map { JSONString.quoted($0) + ":" + json(values[$0]!) }.joined(separator: ",") + "}"
        }
    }
}
