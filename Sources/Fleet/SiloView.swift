import Foundation
import Manifest

/// Everything one silo last said, for `ferry status PIPELINE --silo S`: what it runs and
/// targets, by which serial, its pin, how old its report is, the error with the resource
/// at fault, and its last stack events. Pure.
public enum SiloView {
    /// The text (ends with a newline).
    public static func render(_ row: SiloRow, pipeline: String, color: Bool) -> String {
        var lines = [CellStyle.bold.apply("\(row.silo)", color: color) + " (\(pipeline))"]
        func field(_ name: String, _ value: String) {
            lines.append("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + value)
        }
        field("state", StatusView.style(row.condition).apply(row.condition.rawValue, color: color)
            + (row.stale ? " (last reported \(row.reportedState.rawValue))" : ""))
        field("channel", row.channel + (row.pinned ? " (pinned: a pin, not the channel, chose the target)" : ""))
        field("target", (row.target?.description ?? "-") + (row.targetSerial.map { " (serial \($0))" } ?? ""))
        field("applied", row.applied?.description ?? "-")
        field("reported", "\(row.reportedAt), \(Age.format(seconds: row.ageSeconds)) ago; expected every "
            + Age.format(seconds: max(row.heartbeatSeconds ?? 0,
                                      row.intervalSeconds > 0 ? row.intervalSeconds : Staleness.defaultIntervalSeconds)))
        if let startedAt = row.startedAt {
            field("deploy", "started \(startedAt)" + (row.finishedAt.map { ", finished \($0)" } ?? ", not finished"))
        }
        if let error = row.error {
            field("error", errorText(error, state: row.reportedState))
            if let resource = error.resource { field("at fault", resource) }
        }
        lines.append("")
        if row.events.isEmpty {
            lines.append("no stack events reported")
        } else {
            lines.append("last stack events (oldest first):")
            lines += TextTable(header: ["TIME", "STACK", "RESOURCE", "STATUS", "REASON"], rows: row.events.map {
                [.init($0.time), .init($0.stack), .init($0.resource ?? "-"),
                 .init($0.status, $0.status.hasSuffix("FAILED") ? .red : .plain), .init(oneLine($0.reason ?? ""))]
            }).lines(color: color)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
