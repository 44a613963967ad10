import Foundation
import Manifest

/// What on-call sees of one silo: its last report, judged at `now`. Pure.
public struct SiloRow: Sendable, Equatable, Codable {
    public var silo: String
    public var channel: String
    public var pinned: Bool
    public var target: SemVer?
    public var applied: SemVer?
    /// The state the silo last reported.
    public var reportedState: StatusReport.State
    /// Silent for more than `Staleness.multiplier` poll intervals past its heartbeat.
    public var stale: Bool
    /// Seconds since the report was written (0 for a report from the future: clock skew).
    public var ageSeconds: Int
    public var intervalSeconds: Int
    /// How often the idle agent rewrites its report (nil: it does not say).
    public var heartbeatSeconds: Int?
    public var reportedAt: String
    public var targetSerial: Int?
    public var error: StatusReport.Failure?
    /// When the deploy of `target` started and finished, as the silo reported.
    public var startedAt: String?
    public var finishedAt: String?
    /// The last stack events the silo reported, oldest first (the runbook reads them here).
    public var events: [StatusReport.Event]
    /// The silo's health under its channel's health gate (baking, healthy, unhealthy naming the alarms).
    public var health: SiloHealth?
    /// The silo's wave in its channel's rollout, when the channel has one.
    public var wave: Int?
    /// The silo's last drift detection, when its agent detects drift.
    public var drift: StatusReport.Drift?

    /// The row of `report` at `now`.
    public init(_ report: StatusReport, now: Date) {
        let age = Timestamp.parse(report.reportedAt).map { now.timeIntervalSince($0) } ?? 0
        silo = report.silo
        channel = report.channel
        pinned = report.pinned
        target = report.target
        applied = report.applied
        reportedState = report.state
        ageSeconds = max(0, Int(age.rounded(.down)))
        intervalSeconds = report.intervalSeconds
        heartbeatSeconds = report.heartbeatSeconds
        stale = Staleness.isStale(ageSeconds: ageSeconds, intervalSeconds: report.intervalSeconds,
                                  heartbeatSeconds: report.heartbeatSeconds)
        reportedAt = report.reportedAt
        targetSerial = report.targetSerial
        error = report.error
        startedAt = report.startedAt
        finishedAt = report.finishedAt
        events = report.events
        health = report.health
        wave = report.wave
        drift = report.drift
    }

    /// `2 drifted`, `reverted 2`, `in sync`, `error`; nil without drift detection.
    public var driftSummary: String? {
        guard let drift else { return nil }
        if drift.error != nil, drift.resources.isEmpty { return "error" }
        if drift.resources.isEmpty { return "in sync" }
        return drift.revertedAt == nil ? "\(drift.resources.count) drifted" : "reverted \(drift.resources.count)"
    }

    /// What the table shows: `stale` wins over the state the silo last reported.
    public var condition: SiloCondition { stale ? .stale : SiloCondition(reportedState) }

    /// Every condition the silo is in: its reported state, and `stale` when silent.
    public var conditions: Set<SiloCondition> {
        stale ? [.stale, SiloCondition(reportedState)] : [SiloCondition(reportedState)]
    }
}

/// A silo's condition as `ferry status` names it.
public enum SiloCondition: String, Sendable, Codable, CaseIterable, Comparable {
    case inSync = "in-sync"
    case deploying
    case waiting
    case stopping
    case stopped
    case failed
    case refused
    case misconfigured
    case expired
    case stale

    init(_ state: StatusReport.State) {
        switch state {
        case .inSync: self = .inSync
        case .deploying: self = .deploying
        case .failed: self = .failed
        case .refused: self = .refused
        case .waiting: self = .waiting
        case .misconfigured: self = .misconfigured
        case .expired: self = .expired
        case .stopping: self = .stopping
        case .stopped: self = .stopped
        }
    }

    public static func < (lhs: SiloCondition, rhs: SiloCondition) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// When a silo counts as silent.
public enum Staleness {
    /// A silo is stale after this many of its poll intervals without a report.
    public static let multiplier = 3
    /// The interval assumed for a report that says 0 (an agent run by cron): the agent's default.
    public static let defaultIntervalSeconds = 30

    /// Whether a report `ageSeconds` old is stale: its next report was due after
    /// `heartbeatSeconds` (an idle agent rewrites its report that often; 0 when it does
    /// not say) and is now more than three poll intervals late.
    public static func isStale(ageSeconds: Int, intervalSeconds: Int, heartbeatSeconds: Int? = nil) -> Bool {
        ageSeconds > bound(intervalSeconds: intervalSeconds, heartbeatSeconds: heartbeatSeconds)
    }

    /// The age past which a report is stale: `heartbeatSeconds + 3 × intervalSeconds`.
    public static func bound(intervalSeconds: Int, heartbeatSeconds: Int?) -> Int {
        let interval = intervalSeconds > 0 ? intervalSeconds : defaultIntervalSeconds
        return (heartbeatSeconds ?? 0) + multiplier * interval
    }
}

/// Where a channel points now, as its pointer says (signature not checked: a view).
public struct ChannelHead: Sendable, Equatable, Codable {
    public var channel: String
    public var version: SemVer
    public var serial: Int
    public var issuedAt: String
    public var issuedBy: KeyID
    public var reason: String
    /// RFC 3339 UTC; nil: never expires.
    public var expiresAt: String?

    /// Nil for a document that names no release (a channel pointer always names one).
    public init?(_ pointer: Pointer) {
        guard let release = pointer.release else { return nil }
        channel = pointer.scope.name
        version = release.version
        serial = pointer.serial
        issuedAt = pointer.issuedAt
        issuedBy = pointer.issuedBy
        reason = pointer.reason
        expiresAt = pointer.expiresAt
    }

    /// How long before expiry `ferry status` warns: a week.
    public static let expiryWarning: TimeInterval = 7 * 86_400

    /// A warning when the pointer has expired or expires within `expiryWarning` of `now`.
    public func expiryWarning(now: Date) -> String? {
        guard let expiresAt, let expiry = Timestamp.parse(expiresAt) else { return nil }
        if expiry <= now {
            return "channel \(channel) expired at \(expiresAt): agents refuse it and keep what runs; re-sign it with "
                + "`ferry refresh PIPELINE --channel \(channel)`"
        }
        guard expiry.timeIntervalSince(now) < ChannelHead.expiryWarning else { return nil }
        return "channel \(channel) expires at \(expiresAt), in \(Age.format(seconds: Int(expiry.timeIntervalSince(now)))): "
            + "re-sign it with `ferry refresh PIPELINE --channel \(channel)` (run it on a schedule)"
    }
}

/// One pipeline's fleet at one instant: the channels and every silo that reports.
public struct FleetStatus: Sendable, Equatable, Codable {
    public var pipeline: String
    /// RFC 3339 UTC: the instant ages and staleness were computed at.
    public var now: String
    public var channels: [ChannelHead]
    /// By silo name.
    public var silos: [SiloRow]
    /// Reports that could not be read (the bucket error's message).
    public var unreadable: [String]
    /// Channels that expired or expire within a week (`ChannelHead.expiryWarning`).
    public var warnings: [String]

    public init(pipeline: String, now: Date, pointers: [Pointer], reports: [StatusReport],
                unreadable: [String] = []) {
        self.pipeline = pipeline
        self.now = Timestamp.format(now)
        channels = pointers.compactMap(ChannelHead.init).sorted { $0.channel < $1.channel }
        warnings = channels.compactMap { $0.expiryWarning(now: now) }
            .map { $0.replacingOccurrences(of: "PIPELINE", with: pipeline) }
        silos = reports.map { SiloRow($0, now: now) }.sorted { $0.silo < $1.silo }
        self.unreadable = unreadable
    }

    /// Only the silos (and, with `channel`, the channels) that match every filter given:
    /// `ferry status --silo --channel --version --state`. A silo matches `version` when it
    /// targets or runs it, and `state` when it is in that condition (stale included).
    public func filtered(silo: String? = nil, channel: String? = nil, version: SemVer? = nil,
                         state: SiloCondition? = nil) -> FleetStatus {
        var result = self
        result.silos = silos.filter { row in
            (silo == nil || row.silo == silo) && (channel == nil || row.channel == channel)
                && (version == nil || row.target == version || row.applied == version)
                && (state == nil || row.conditions.contains(state!))
        }
        if let channel { result.channels = channels.filter { $0.channel == channel } }
        if let version { result.channels = result.channels.filter { $0.version == version } }
        return result
    }

    /// How many silos are in each shown condition, in `SiloCondition` order, zeros left out.
    public var counts: [(SiloCondition, Int)] {
        SiloCondition.allCases.compactMap { condition in
            let count = silos.count { $0.condition == condition }
            return count > 0 ? (condition, count) : nil
        }
    }
}

/// Which conditions make `ferry status` exit non-zero (`--fail-on`).
public struct FailOn: Sendable, Equatable {
    public var conditions: Set<SiloCondition>

    public init(_ conditions: Set<SiloCondition>) { self.conditions = conditions }

    /// `failed,stale,refused,misconfigured,expired`: the default. A refused, misconfigured
    /// or expired silo runs nothing new until a person acts, so it fails a gate as a
    /// failed one does.
    public static let standard = FailOn([.failed, .stale, .refused, .misconfigured, .expired])
    /// `--fail-on`'s default as typed.
    public static let standardText = "failed,stale,refused,misconfigured,expired"
    /// The conditions `--fail-on` accepts.
    public static let choices: [SiloCondition] = [.failed, .stale, .refused, .misconfigured, .expired, .deploying,
                                                  .waiting, .stopping, .stopped]

    /// Parses a list of `choices` (any of them) or `none`.
    public static func parse(_ text: String) throws(FleetError) -> FailOn {
        let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if words == ["none"] { return FailOn([]) }
        var conditions = Set<SiloCondition>()
        for word in words {
            guard let condition = SiloCondition(rawValue: word), choices.contains(condition) else {
                throw FleetError(.invalidInput, "--fail-on \(text): '\(word)' is not one of "
                    + choices.map(\.rawValue).joined(separator: ", ") + "; or give 'none'")
            }
            conditions.insert(condition)
        }
        guard !conditions.isEmpty else {
            throw FleetError(.invalidInput, "--fail-on needs a list such as failed,stale, or 'none'")
        }
        return FailOn(conditions)
    }

    /// The silos in one of the conditions (a failed silo that is also stale counts for both).
    public func failing(_ status: FleetStatus) -> [SiloRow] {
        status.silos.filter { !$0.conditions.isDisjoint(with: conditions) }
    }

    /// Whether `status` passes: no silo in a chosen condition and, unless `none` was
    /// chosen, no unreadable report.
    public func passes(_ status: FleetStatus) -> Bool {
        failing(status).isEmpty && (conditions.isEmpty || status.unreadable.isEmpty)
    }
}
