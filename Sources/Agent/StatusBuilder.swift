import Foundation
import Manifest

/// What the status report is built from: the journal and this tick's refusals.
public struct StatusFacts: Sendable {
    public var pipeline: String
    public var silo: String
    public var channel: String
    public var intervalSeconds: Int
    /// How often an idle agent rewrites its report (`StatusReport.heartbeatSeconds`).
    public var heartbeatSeconds: Int
    public var now: Date
    /// Whether target selection followed a pin (used when no release names a target).
    public var pinned: Bool
    /// `Journal.lastApplied`, `Journal.latestRelease`, `Journal.inFlight`.
    public var applied: ReleaseRecord?
    public var latest: ReleaseRecord?
    public var inFlight: DeploymentState?
    /// Documents refused on this tick (`Selection.refusals`).
    public var refusals: [AgentError]
    /// How many stack events the report carries at most.
    public var eventLimit: Int
    /// A setting that names nothing in the bucket (`judgeAbsence`): the report is `misconfigured`.
    public var misconfiguration: AgentError?
    /// Why the agent waits (`judgeAbsence`), shown with `waiting` (nothing applied yet).
    public var waiting: AgentError?
    /// The channel's release waits for this silo's wave (`Selection.waiting`): `waiting`,
    /// with what is applied.
    public var wave: AgentError?
    /// The silo's wave in its channel's rollout (`StatusReport.wave`).
    public var waveIndex: Int?
    /// The silo's health under the channel's health gate (`StatusReport.health`); reported
    /// only while it is about the release applied.
    public var health: SiloHealth?
    /// The last drift detection (`StatusReport.drift`).
    public var drift: StatusReport.Drift?
    /// `.stopping` or `.stopped`: the agent was asked to stop (SIGTERM/SIGINT).
    public var stop: StatusReport.State?

    public init(pipeline: String, silo: String, channel: String, intervalSeconds: Int, heartbeatSeconds: Int,
                now: Date, pinned: Bool,
                applied: ReleaseRecord?, latest: ReleaseRecord?, inFlight: DeploymentState?,
                refusals: [AgentError] = [], eventLimit: Int = 10, misconfiguration: AgentError? = nil,
                waiting: AgentError? = nil, wave: AgentError? = nil, stop: StatusReport.State? = nil) {
        self.misconfiguration = misconfiguration
        self.waiting = waiting
        self.wave = wave
        self.stop = stop
        self.pipeline = pipeline
        self.silo = silo
        self.channel = channel
        self.intervalSeconds = intervalSeconds
        self.heartbeatSeconds = heartbeatSeconds
        self.now = now
        self.pinned = pinned
        self.applied = applied
        self.latest = latest
        self.inFlight = inFlight
        self.refusals = refusals
        self.eventLimit = eventLimit
    }
}

/// Builds the silo's status report (`status/<pipeline>/<silo>.json`) and decides
/// whether it is worth writing. Pure.
public enum StatusBuilder {
    /// The report, by precedence: a misconfiguration (or a read denied) is
    /// `misconfigured`; a deployment in flight is `deploying` (with why it waits, if it
    /// does); else an expired pointer is `expired` and another refused document `refused`; else a failed latest release is
    /// `failed` (`refused` when it was refused before anything was applied); else
    /// `in-sync` with what is applied (`waiting` while the channel's release waits for the
    /// silo's wave); with nothing applied, `waiting`. A stop
    /// (`facts.stop`) then overrides the state, keeping everything else.
    public static func report(_ facts: StatusFacts) -> StatusReport {
        var report = judge(facts)
        report.wave = facts.waveIndex
        if let health = facts.health, health.version == report.applied { report.health = health }
        report.drift = facts.drift
        if let stop = facts.stop { report.state = stop }
        return report
    }

    private static func judge(_ facts: StatusFacts) -> StatusReport {
        var report = StatusReport(pipeline: facts.pipeline, silo: facts.silo, channel: facts.channel,
                                  pinned: facts.pinned, applied: facts.applied?.target.version, state: .inSync,
                                  reportedAt: Timestamp.format(facts.now), intervalSeconds: facts.intervalSeconds,
                                  heartbeatSeconds: facts.heartbeatSeconds)
        func aim(at target: Target?) {
            guard let target else { return }
            report.target = target.version
            report.targetSerial = target.serial
            report.pinned = target.source == .pin
        }
        let denied = facts.refusals.first { $0.code == .accessDenied }
        if let problem = facts.misconfiguration ?? denied {
            aim(at: facts.inFlight?.plan.target ?? facts.latest?.target ?? facts.applied?.target)
            report.state = .misconfigured
            report.error = StatusReport.Failure(code: problem.code.description, message: problem.message)
        } else if let flying = facts.inFlight {
            aim(at: flying.plan.target)
            report.state = .deploying
            report.startedAt = flying.startedAt
            report.error = flying.waiting.map(failure)
            report.events = events(flying.events, limit: facts.eventLimit)
        } else if let refusal = facts.refusals.first {
            aim(at: facts.latest?.target ?? facts.applied?.target)
            // An expired pointer is its own state: nothing is wrong with what runs, but nothing
            // new comes until a fresh pointer is signed.
            report.state = refusal.code == .expired ? .expired : .refused
            // A refused document reports the specific ManifestError code (docs/manifest.md).
            let code = (refusal.cause as? ManifestError).map { $0.code.description } ?? refusal.code.description
            report.error = StatusReport.Failure(code: code, message: refusal.message, resource: refusal.resource)
        } else if let latest = facts.latest, latest.state == .failed {
            aim(at: latest.target)
            // A release refused before anything was applied (`Journal.markRefused`).
            report.state = latest.failure?.code == .refused ? .refused : .failed
            report.error = latest.failure.map(failure)
                ?? StatusReport.Failure(code: "stackFailed", message: "the release failed")
            report.startedAt = latest.startedAt
            report.finishedAt = latest.finishedAt
            report.events = events(latest.events, limit: facts.eventLimit)
        } else if let applied = facts.applied {
            aim(at: applied.target)
            report.startedAt = applied.startedAt
            report.finishedAt = applied.finishedAt
            report.events = events(applied.events, limit: facts.eventLimit)
            if let wave = facts.wave {
                report.state = .waiting
                report.error = StatusReport.Failure(code: wave.code.description, message: wave.message)
            }
        } else {
            report.state = .waiting
            report.error = (facts.waiting ?? facts.wave).map { StatusReport.Failure(code: $0.code.description, message: $0.message) }
        }
        return report
    }

    /// Write when something but the report time changed, when nothing was written yet,
    /// or when the last report is a heartbeat old (`heartbeatDue`).
    public static func shouldWrite(_ report: StatusReport, last: StatusReport?) -> Bool {
        guard var last, let now = Timestamp.parse(report.reportedAt) else { return true }
        if heartbeatDue(last: last, heartbeatSeconds: report.heartbeatSeconds, now: now) { return true }
        last.reportedAt = report.reportedAt
        return last != report
    }

    /// Whether an idle agent must rewrite its report: the last one is `heartbeatSeconds`
    /// old or more (nil or 0: never).
    public static func heartbeatDue(last: StatusReport?, heartbeatSeconds: Int?, now: Date) -> Bool {
        guard let last, let heartbeatSeconds, heartbeatSeconds > 0,
              let written = Timestamp.parse(last.reportedAt) else { return false }
        return now.timeIntervalSince(written) >= Double(heartbeatSeconds)
    }

    private static func failure(_ record: FailureRecord) -> StatusReport.Failure {
        StatusReport.Failure(code: record.code.description, message: record.message, resource: record.resource)
    }

    /// The last `limit` events, oldest first; events whose time is not RFC 3339 UTC are
    /// left out (the report would not validate).
    private static func events(_ events: [StackEvent], limit: Int) -> [StatusReport.Event] {
        events.filter { Timestamp.parse($0.time) != nil }.suffix(limit).map { event in
            StatusReport.Event(time: event.time, stack: event.stack,
                               resource: event.isAboutStack ? nil : event.logicalResourceId,
                               status: event.status, reason: event.reason)
        }
    }
}
