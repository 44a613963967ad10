import Foundation

/// OpenMetrics text, family by family (https://openmetrics.io: `# TYPE`, `# HELP`,
/// `# UNIT`, samples, `# EOF`).
public struct OpenMetricsText: Sendable {
    /// Each family's name and lines: metadata, then its samples (they must be contiguous).
    private var blocks: [(name: String, lines: [String])] = []

    public init() {}

    public mutating func family(_ name: String, type: String, help: String, unit: String? = nil) {
        var lines = ["# TYPE \(name) \(type)"]
        if let unit { lines.append("# UNIT \(name) \(unit)") }
        lines.append("# HELP \(name) \(Self.escape(help, quote: false))")
        blocks.append((name, lines))
    }

    /// A sample of `family` (default: the family declared last).
    public mutating func sample(_ name: String, _ labels: [String: String], _ value: Double, in family: String? = nil) {
        let set = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value, quote: true))\"" }
        let index = family.flatMap { name in blocks.lastIndex { $0.name == name } } ?? blocks.count - 1
        let labelText: String = set.isEmpty ? "" : "{" + set.joined(separator: ",") + "}"
        blocks[index].lines.append(name + labelText + " " + Self.number(value))
    }

    /// A counter family by pipeline and one more label, with `_total` and `_created`.
    public mutating func counter(_ name: String, help: String, silo: String, values: [String: [String: Int]], label: String,
                          created: Date) {
        family(name, type: "counter", help: help)
        for (pipeline, counts) in values.sorted(by: { $0.key < $1.key }) {
            for (key, count) in counts.sorted(by: { $0.key < $1.key }) {
                let labels = ["silo": silo, "pipeline": pipeline, label: key]
                sample(name + "_total", labels, Double(count))
                sample(name + "_created", labels, created.timeIntervalSince1970)
            }
        }
    }

    /// A number as OpenMetrics writes it: integers without a fraction.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    public func finish() -> String { (blocks.flatMap(\.lines) + ["# EOF"]).joined(separator: "\n") + "\n" }

    /// Backslash, newline and (in label values) the double quote, escaped.
    public static func escape(_ text: String, quote: Bool) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.append(character)
            }
        }
        return out
    }
}
