import Foundation
import Manifest

/// `ferry status` as text: the channels, one row per silo, what is wrong with each
/// failing silo, and a count. Pure.
public enum StatusView {
    /// The text `ferry status` prints (ends with a newline).
    public static func render(_ status: FleetStatus, color: Bool, names: KeyNames = KeyNames()) -> String {
        var lines: [String] = []
        if status.channels.isEmpty {
            lines.append("no channel of \(status.pipeline) has been set yet")
        } else {
            lines += channelTable(status.channels, names: names).lines(color: color)
        }
        lines.append("")
        if status.silos.isEmpty {
            lines.append("no silo has reported for \(status.pipeline) yet")
        } else {
            lines += siloTable(status.silos).lines(color: color)
        }
        let notes = status.silos.compactMap { note(for: $0, color: color) }
        if !notes.isEmpty {
            lines.append("")
            lines += notes
        }
        if !status.warnings.isEmpty {
            lines.append("")
            lines += status.warnings.map { CellStyle.yellow.apply("warning: ", color: color) + $0 }
        }
        if !status.unreadable.isEmpty {
            lines.append("")
            lines += status.unreadable.map { CellStyle.red.apply("unreadable report: ", color: color) + $0 }
        }
        lines.append("")
        lines.append(summary(status))
        return lines.joined(separator: "\n") + "\n"
    }

    static func channelTable(_ channels: [ChannelHead], names: KeyNames) -> TextTable {
        TextTable(header: ["CHANNEL", "VERSION", "SERIAL", "MOVED", "BY", "REASON"], rows: channels.map {
            [.init($0.channel), .init($0.version.description, .bold), .init(String($0.serial)), .init($0.issuedAt),
             .init(names.label($0.issuedBy)), .init(oneLine($0.reason))]
        })
    }

    /// One row per silo; a WAVE column when a silo reports its wave, a DRIFT column when
    /// one reports drift detection.
    static func siloTable(_ silos: [SiloRow]) -> TextTable {
        let waves = silos.contains { $0.wave != nil }
        let drift = silos.contains { $0.drift != nil }
        return TextTable(header: ["SILO", "CHANNEL", "PINNED", "TARGET", "APPLIED", "STATE", "AGE"]
                            + (waves ? ["WAVE"] : []) + (drift ? ["DRIFT"] : []), rows: silos.map { row in
            [.init(row.silo), .init(row.channel), .init(row.pinned ? "yes" : "no", row.pinned ? .yellow : .plain),
             .init(row.target?.description ?? "-"), .init(row.applied?.description ?? "-"),
             .init(row.condition.rawValue, style(row.condition)), .init(Age.format(seconds: row.ageSeconds))]
                + (waves ? [.init(row.wave.map { String($0 + 1) } ?? "-")] : [])
                + (drift ? [.init(row.driftSummary ?? "-", row.drift?.isDrifted == true || row.drift?.error != nil
                                  ? .red : .plain)] : [])
        })
    }

    /// The colour of a condition.
    static func style(_ condition: SiloCondition) -> CellStyle {
        switch condition {
        case .inSync: .green
        case .deploying, .waiting: .yellow
        case .failed, .refused, .misconfigured, .expired: .red
        case .stale, .stopping, .stopped: .magenta
        }
    }

    /// Why a silo that is not in sync is so: its error, or how long it has been silent.
    static func note(for row: SiloRow, color: Bool) -> String? {
        var parts: [String] = []
        if row.stale {
            let interval = row.intervalSeconds > 0 ? row.intervalSeconds : Staleness.defaultIntervalSeconds
            parts.append("no report for \(Age.format(seconds: row.ageSeconds)) (expected every "
                + "\(Age.format(seconds: max(row.heartbeatSeconds ?? 0, interval))))"
                + (row.reportedState == .inSync ? "" : "; last reported \(row.reportedState.rawValue)"))
        }
        if let error = row.error, row.reportedState != .inSync, row.reportedState != .deploying {
            parts.append(errorText(error, state: row.reportedState) + (error.resource.map { " (\($0))" } ?? ""))
        } else if !row.stale, row.reportedState == .stopped || row.reportedState == .stopping {
            parts.append("its agent stopped \(Age.format(seconds: row.ageSeconds)) ago and writes no report until it "
                + "starts again (stale after " + Age.format(seconds: Staleness.bound(
                    intervalSeconds: row.intervalSeconds, heartbeatSeconds: row.heartbeatSeconds)) + ")")
        }
        if let health = row.health, health.state == .unhealthy, health.version == row.applied {
            parts.append("unhealthy on \(health.version): " + oneLine(health.reason ?? health.alarms.joined(separator: ", ")))
        }
        if let drift = row.drift, drift.isDrifted || drift.error != nil {
            parts.append(driftText(drift))
        }
        guard !parts.isEmpty else { return nil }
        return CellStyle.bold.apply(row.silo, color: color) + " "
            + row.condition.rawValue + ": " + parts.joined(separator: "; ")
    }

    /// `3 silos: 1 in-sync, 1 failed, 1 stale`.
    static func summary(_ status: FleetStatus) -> String {
        let total = status.silos.count
        let counts = status.counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        return "\(total) silo\(total == 1 ? "" : "s")" + (counts.isEmpty ? "" : ": " + counts)
            + (status.unreadable.isEmpty ? "" : "; \(status.unreadable.count) unreadable")
    }
}

/// `drift (checked T): app/Queue MODIFIED, data/Topic DELETED`, with the revert's error.
func driftText(_ drift: StatusReport.Drift) -> String {
    let resources = drift.resources.map { "\($0.stack)/\($0.resource) \($0.difference)" }.joined(separator: ", ")
    var text = "drift (checked \(drift.checkedAt))"
    if !resources.isEmpty {
        text += (drift.revertedAt.map { ", reverted \($0)" } ?? "") + ": " + resources
    }
    if let error = drift.error { text += "; " + oneLine(error) }
    return text
}

/// `code: message`, without a code that only repeats the state (`refused: refused: ...`).
func errorText(_ error: StatusReport.Failure, state: StatusReport.State) -> String {
    (error.code == state.rawValue ? "" : error.code + ": ") + oneLine(error.message)
}

/// Names for key ids (from the public key files' names, `ferry keys generate --name`), so
/// tables show `oncall (7c1f9d2e04ab)` instead of a bare id. Pure.
public struct KeyNames: Sendable, Equatable {
    public var names: [KeyID: String]

    public init(_ names: [KeyID: String] = [:]) { self.names = names }

    /// `name (first 12 hex digits)`, or the 12 digits alone for a key without a name.
    public func label(_ id: KeyID) -> String {
        names[id].map { "\($0) (\(shortKeyID(id)))" } ?? shortKeyID(id)
    }
}

/// The first 12 hex digits of a key id: enough to tell keys apart in a table.
public func shortKeyID(_ id: KeyID) -> String { String(id.hex.prefix(12)) }

/// A reason on one line (a newline in it would break a table).
func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
