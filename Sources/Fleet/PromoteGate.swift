import Foundation
import Manifest

/// Whether a release may go from one channel to the next: every silo of the source
/// channel must report that release applied and in sync, and must not be silent. Pure.
public enum PromoteGate {
    /// Something that stops a promotion: a silo, or (with `silo` nil) the fleet as a whole.
    public struct Blocker: Sendable, Equatable, Codable, CustomStringConvertible {
        public var silo: String?
        public var why: String

        public init(silo: String?, why: String) {
            self.silo = silo
            self.why = why
        }

        public var description: String { silo.map { "\($0) \(why)" } ?? why }
    }

    /// What stops promoting `version` out of `channel`, given every silo's report at
    /// `now` and how many reports could not be read. Empty: the promotion may go.
    public static func blockers(version: SemVer, channel: String, reports: [StatusReport], unreadable: Int,
                                now: Date) -> [Blocker] {
        let members = reports.filter { $0.channel == channel }.sorted { $0.silo < $1.silo }
        var blockers: [Blocker] = []
        if members.isEmpty {
            blockers.append(Blocker(silo: nil, why: "no silo reports on channel \(channel), so nothing has run "
                + "\(version) there"))
        }
        for report in members {
            if let why = blocker(report, version: version, now: now) {
                blockers.append(Blocker(silo: report.silo, why: why))
            }
        }
        if unreadable > 0 {
            blockers.append(Blocker(silo: nil, why: "\(unreadable) status report\(unreadable == 1 ? "" : "s") cannot "
                + "be read (see `ferry status`); \(unreadable == 1 ? "it" : "they") may be silos of \(channel)"))
        }
        return blockers
    }

    /// Why one silo of the source channel blocks, or nil when it has `version` in sync.
    static func blocker(_ report: StatusReport, version: SemVer, now: Date) -> String? {
        let row = SiloRow(report, now: now)
        if row.stale { return "is stale (no report for \(Age.format(seconds: row.ageSeconds)))" }
        switch report.state {
        case .failed, .refused, .expired:
            let error = report.error.map { ": \($0.code)" } ?? ""
            return "is \(report.state.rawValue) on \(report.target?.description ?? "?")\(error)"
        case .deploying:
            return "is deploying \(report.target?.description ?? "?")"
        case .misconfigured:
            return "is misconfigured: \(report.error?.code ?? "?")"
        case .waiting:
            return "is waiting for a first release (it has run nothing)"
        case .stopping, .stopped:
            return "is \(report.state.rawValue): its agent is not running"
        case .inSync:
            guard report.applied == version else {
                let applied = report.applied?.description ?? "nothing"
                return report.pinned ? "is pinned to \(applied)" : "has \(applied) applied, not \(version)"
            }
            return nil
        }
    }

    /// The reason recorded for a promotion: the one given or a standard one, and with
    /// `--force`, what was forced past.
    public static func reason(given: String?, version: SemVer, from: String, to: String,
                              forcedPast blockers: [Blocker]) -> String {
        var reason = given ?? "promote \(version) from \(from) to \(to)"
        if !blockers.isEmpty {
            reason += " [forced past: " + blockers.map(\.description).joined(separator: "; ") + "]"
        }
        return reason
    }
}
