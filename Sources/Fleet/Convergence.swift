import Foundation
import Manifest

/// What `--wait` waits for: the silos of a channel (or one pinned silo) in sync on a version.
public struct ConvergenceGoal: Sendable, Equatable {
    public enum Scope: Sendable, Equatable {
        /// Every silo that follows the channel (pinned silos do not follow it).
        case channel(String)
        /// One silo, pinned.
        case silo(String)
    }

    public var scope: Scope
    public var version: SemVer
    /// The serial of the pointer or pin that named `version`: a report about an older
    /// serial does not answer this move. Nil: compare versions only.
    public var serial: Int?
    /// For one silo: whether its report must say it is pinned (after `pin`) or not
    /// (after `unpin`, when it follows its channel again); nil: either.
    public var pinned: Bool?
    /// When the move was made (the pointer's `issuedAt`): a silo that reported
    /// `misconfigured` before it (an agent started before the pipeline's first release,
    /// say) has not judged its settings since, and is waited for; after it, it failed.
    /// Nil: every misconfigured report fails the move.
    public var since: Date?

    public init(_ scope: Scope, version: SemVer, serial: Int?, pinned: Bool? = nil, since: Date? = nil) {
        self.scope = scope
        self.version = version
        self.serial = serial
        self.pinned = pinned
        self.since = since
    }
}

/// Where the silos stand on a goal. Pure.
public enum Convergence {
    /// One silo's progress.
    public struct Silo: Sendable, Equatable {
        public enum Stage: Sendable, Equatable {
            /// Its agent has not reported on this move yet.
            case waiting
            case deploying
            case done
            /// It failed or refused the move: it will not retry the same pointer.
            case failed
            /// Pinned: it does not follow the channel, so it is not waited for.
            case skipped
        }

        public var silo: String
        public var stage: Stage
        /// One line for people: `silo-a: deploying 1.1.0 (applied 1.2.0)`.
        public var line: String

        public init(silo: String, stage: Stage, line: String) {
            self.silo = silo
            self.stage = stage
            self.line = line
        }
    }

    public struct Snapshot: Sendable, Equatable {
        public var goal: ConvergenceGoal
        public var silos: [Silo]

        /// Every silo waited for is done.
        public var converged: Bool { silos.allSatisfy { $0.stage == .done || $0.stage == .skipped } }
        public var failed: [Silo] { silos.filter { $0.stage == .failed } }
        public var pending: [Silo] { silos.filter { $0.stage == .waiting || $0.stage == .deploying } }
    }

    /// The silos the goal concerns, each judged from its last report.
    public static func evaluate(_ goal: ConvergenceGoal, reports: [StatusReport]) -> Snapshot {
        let concerned = reports.filter {
            switch goal.scope {
            case .channel(let channel): $0.channel == channel
            case .silo(let silo): $0.silo == silo
            }
        }
        var silos = concerned.sorted { $0.silo < $1.silo }.map { judge($0, goal: goal) }
        if case .silo(let silo) = goal.scope, silos.isEmpty {
            silos = [Silo(silo: silo, stage: .waiting, line: "\(silo): no report yet")]
        }
        return Snapshot(goal: goal, silos: silos)
    }

    static func judge(_ report: StatusReport, goal: ConvergenceGoal) -> Silo {
        let name = report.silo
        let version = goal.version
        if case .channel = goal.scope, report.pinned {
            return Silo(silo: name, stage: .skipped,
                        line: "\(name): pinned to \(report.target?.description ?? "?"), not following the channel")
        }
        if report.state == .misconfigured {  // it will not take any move until a person fixes its settings
            let error = report.error.map { ": \($0.code): \(oneLine($0.message))" } ?? ""
            if let since = goal.since, let reported = Timestamp.parse(report.reportedAt), reported < since {
                return Silo(silo: name, stage: .waiting, line: "\(name): misconfigured before this move\(error); "
                    + "waiting for its agent to judge its settings again")
            }
            return Silo(silo: name, stage: .failed, line: "\(name): misconfigured\(error)")
        }
        let answers = report.target == version
            && (goal.serial == nil || report.targetSerial == nil || report.targetSerial! >= goal.serial!)
        if let pinned = goal.pinned, report.pinned != pinned {
            return Silo(silo: name, stage: .waiting, line: "\(name): waiting for its agent to read the "
                + (pinned ? "pin" : "ended pin") + " (its agent reads pins every few minutes; still "
                + (report.pinned ? "pinned" : "following its channel") + ")")
        }
        guard answers else {
            let now = report.target.map { "on \($0)" } ?? "no target yet"
            return Silo(silo: name, stage: .waiting,
                        line: "\(name): waiting for its agent to take \(version) (\(now), \(report.state.rawValue))")
        }
        switch report.state {
        case .inSync where report.applied == version:
            return Silo(silo: name, stage: .done, line: "\(name): in-sync on \(version)")
        case .inSync, .deploying:
            let applied = report.applied.map { " (applied \($0))" } ?? ""
            return Silo(silo: name, stage: .deploying, line: "\(name): deploying \(version)\(applied)")
        case .waiting:
            return Silo(silo: name, stage: .deploying, line: "\(name): deploying \(version)")
        case .stopping, .stopped:
            return Silo(silo: name, stage: .waiting, line: "\(name): \(report.state.rawValue) on \(version): its agent "
                + "takes the move when it runs again")
        case .failed, .refused, .misconfigured, .expired:
            let error = report.error.map { ": " + errorText($0, state: report.state) } ?? ""
            return Silo(silo: name, stage: .failed, line: "\(name): \(report.state.rawValue) on \(version)\(error)")
        }
    }
}

/// Follows the status reports until a goal is met, fails, or time runs out, telling
/// `progress` one line per change. The clock, the pause and the reads are parameters,
/// so the loop is tested without a network or real time.
public struct ConvergenceWatcher {
    public var read: () throws(FleetError) -> [StatusReport]
    public var now: () -> Date
    public var pause: (Double) -> Void
    public var progress: (String) -> Void

    public init(read: @escaping () throws(FleetError) -> [StatusReport], now: @escaping () -> Date = Date.init,
                pause: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                progress: @escaping (String) -> Void) {
        self.read = read
        self.now = now
        self.pause = pause
        self.progress = progress
    }

    /// Waits for `goal`, reading every `every` seconds, for at most `timeout` seconds.
    /// Throws `.convergenceFailed` as soon as a silo fails the move, `.timedOut` naming the
    /// silos still pending when time is up.
    public func wait(for goal: ConvergenceGoal, timeout: Int, every: Double) throws(FleetError) -> Convergence.Snapshot {
        let start = now()
        var shown: [String: String] = [:]
        while true {
            let snapshot = Convergence.evaluate(goal, reports: try read())
            for silo in snapshot.silos where shown[silo.silo] != silo.line {
                progress(silo.line)
                shown[silo.silo] = silo.line
            }
            if !snapshot.failed.isEmpty {
                throw FleetError(.convergenceFailed, snapshot.failed.map(\.line).joined(separator: "; ")
                    + ". The agent does not retry the same pointer: see `ferry status`, then roll back or pin")
            }
            if snapshot.converged {
                let done = snapshot.silos.count { $0.stage == .done }
                progress(done == 0 ? "no silo to wait for: none reports on \(describe(goal.scope))"
                         : "converged: \(done) silo\(done == 1 ? "" : "s") in-sync on \(goal.version)")
                return snapshot
            }
            let elapsed = now().timeIntervalSince(start)
            if elapsed >= Double(timeout) {
                throw FleetError(.timedOut, "gave up waiting after \(Age.format(seconds: timeout)): "
                    + snapshot.pending.map(\.line).joined(separator: "; ")
                    + ". The move stands; follow it with `ferry status`")
            }
            pause(min(every, Double(timeout) - elapsed))
        }
    }

    func describe(_ scope: ConvergenceGoal.Scope) -> String {
        switch scope {
        case .channel(let channel): "channel \(channel)"
        case .silo(let silo): "silo \(silo)"
        }
    }
}
