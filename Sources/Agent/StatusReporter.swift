import Bucket
import Foundation
import Manifest

/// Writes `PREFIX/status/<pipeline>/<silo>.json` after each change of state: builds the
/// report from the journal (`StatusBuilder.report`) and writes it only when something
/// but its time changed (`StatusBuilder.shouldWrite`), remembering what it wrote.
public final class StatusReporter {
    private let bucket: SharedBucket
    private let journal: Journal
    private let silo: String
    private let channel: String
    private let intervalSeconds: Int
    private let heartbeatSeconds: Int
    /// Whether target selection last followed a pin, per pipeline.
    var pinned: [String: Bool] = [:]
    /// The last report written, per pipeline: read from the journal once, then kept here
    /// (only this process writes reports: it holds the state folder's lock), so an idle
    /// tick does not read and decode it again.
    private var lastWritten: [String: StatusReport?] = [:]

    /// Reports of `silo` on `channel`, built from `journal`, written to `bucket`.
    public init(bucket: SharedBucket, journal: Journal, silo: String, channel: String, intervalSeconds: Int,
                heartbeatSeconds: Int) {
        self.bucket = bucket
        self.journal = journal
        self.silo = silo
        self.channel = channel
        self.intervalSeconds = intervalSeconds
        self.heartbeatSeconds = heartbeatSeconds
    }

    /// The reporter of an agent with these settings (interval and heartbeat from them).
    public convenience init(bucket: SharedBucket, journal: Journal, silo: String, settings: AgentSettings) {
        self.init(bucket: bucket, journal: journal, silo: silo, channel: settings.channel,
                  intervalSeconds: Int(settings.interval.rounded()),
                  heartbeatSeconds: Int(max(settings.heartbeat, settings.interval).rounded()))
    }

    /// Whether the idle `pipeline` owes its heartbeat: its last report is a heartbeat old.
    func heartbeatDue(pipeline: String, now: Date) throws(AgentError) -> Bool {
        StatusBuilder.heartbeatDue(last: try lastReport(pipeline),
                                   heartbeatSeconds: heartbeatSeconds, now: now)
    }

    /// Why each pipeline's agent waits or is misconfigured, as last judged (`judgeAbsence`);
    /// kept until the channel pointer appears.
    var absence: [String: AbsenceVerdict] = [:]
    /// Why each pipeline's channel release does not apply here yet (its wave is not open).
    var waveWait: [String: AgentError] = [:]
    /// Each pipeline's wave in its channel's rollout, when the channel has one.
    var waveIndex: [String: Int] = [:]
    /// Each pipeline's health under its channel's health gate (`Agent.watchHealth`).
    var health: [String: SiloHealth] = [:]
    /// Each pipeline's last drift detection (`Agent.checkDriftIfDue`); until this process
    /// has run one, the last report's is kept.
    var drift: [String: StatusReport.Drift] = [:]

    /// Builds the report of `pipeline` with this tick's `refusals` and writes it if it
    /// changed. `stop` (`.stopping` or `.stopped`) overrides the state. Returns the
    /// report when it was written.
    @discardableResult
    func update(pipeline: String, refusals: [AgentError] = [], stop: StatusReport.State? = nil,
                now: Date) throws(AgentError) -> StatusReport? {
        var misconfiguration: AgentError?
        var waiting: AgentError?
        switch absence[pipeline] {
        case .misconfigured(let error): misconfiguration = error
        case .waiting(let note): waiting = note
        case .pointerGone, nil: break
        }
        let facts = StatusFacts(
            pipeline: pipeline, silo: silo, channel: channel, intervalSeconds: intervalSeconds,
            heartbeatSeconds: heartbeatSeconds, now: now,
            pinned: pinned[pipeline] ?? false, applied: try journal.lastApplied(pipeline: pipeline),
            latest: try journal.latestRelease(pipeline: pipeline), inFlight: try journal.inFlight(pipeline: pipeline),
            refusals: refusals, misconfiguration: misconfiguration, waiting: waiting, wave: waveWait[pipeline], stop: stop)
        var withWave = facts
        withWave.waveIndex = waveIndex[pipeline]
        withWave.health = health[pipeline]
        if let known = drift[pipeline] { withWave.drift = known } else { withWave.drift = try lastReport(pipeline)?.drift }
        let report = StatusBuilder.report(withWave)
        guard StatusBuilder.shouldWrite(report, last: try lastReport(pipeline)) else { return nil }
        do {
            try bucket.putStatus(report)
        } catch {
            throw AgentError.bucket(error, "writing the status report of \(pipeline)")
        }
        try journal.reportWritten(report)
        lastWritten[pipeline] = report
        return report
    }

    /// The last report written for `pipeline` (by this process or, from the journal, an earlier one).
    func lastReport(_ pipeline: String) throws(AgentError) -> StatusReport? {
        if let known = lastWritten[pipeline] { return known }
        let read = try journal.lastReport(pipeline: pipeline)
        lastWritten[pipeline] = read
        return read
    }
}
