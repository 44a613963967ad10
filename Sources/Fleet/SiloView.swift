import Foundation
import Manifest

/// Everything one silo last said, for `ferry status PIPELINE --silo S`: what it runs and
/// targets, by which serial, its pin, how old its report is, the error with the resource
/// at fault, and its last stack events. Pure.
public enum SiloView {
    /// The CloudFormation console page of the stack at fault (the last failed event's
    /// stack, else the last event's), when the silo is named `<account id>-<region>` (the
    /// agent's default name), so the link opens in the right region; sign in to that account.
    public static func consoleLink(_ row: SiloRow) -> String? {
        let parts = row.silo.split(separator: "-", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].count == 12, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              parts[1].range(of: #"^[a-z]{2}(-gov)?-[a-z]+-\d$"#, options: .regularExpression) != nil else { return nil }
        let region = parts[1]
        guard let stack = (row.events.last { $0.status.hasSuffix("FAILED") } ?? row.events.last)?.stack else { return nil }
        let id = stack.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.")))
            ?? stack
        return "https://\(region).console.aws.amazon.com/cloudformation/home?region=\(region)#/stacks/stackinfo?stackId=\(id)"
            + " (account \(parts[0]))"
    }

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
        if let wave = row.wave { field("wave", String(wave + 1)) }
        if let drift = row.drift { field("drift", driftText(drift)) }
        if let health = row.health {
            field("health", "\(health.state.rawValue) on \(health.version) (bake \(Age.format(seconds: health.bakeSeconds)) "
                + "from \(health.bakeStartedAt), \(health.watched) alarms watched)"
                + (health.alarms.isEmpty ? "" : ": " + health.alarms.joined(separator: ", "))
                + (health.reason.map { "; " + oneLine($0) } ?? ""))
        }
        if let link = consoleLink(row) { field("console", link) }
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
