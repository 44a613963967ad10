import AWS
import Agent
import Basics
import Bucket
import Foundation
import Manifest

/// One silo of a rollout schedule, as the agent behaves on the bucket: each tick a
/// conditional GET of the channel pointer (`If-None-Match` with the last ETag); a new
/// document is opened (signature, issuer, expiry: `openPointer`) and judged by the
/// agent's own `selectTarget`; the status report is written only when something but its
/// time changed, or a heartbeat is due (`StatusBuilder.shouldWrite`). Its CloudFormation
/// is a timer: an update takes one to four ticks and fails the bad release on silos
/// chosen to fail it. A silent silo stops at `silentFrom`: it neither applies nor reports.
/// Under the channel's health gate (`rollout.health`) it judges its health after each
/// update as the agent does (`HealthJudge`, on its account's alarms: see `Alarms`) and
/// reports it, unless it runs an agent older than health gates.
struct RolloutSilo {
    let facts: SiloFacts
    /// Its wave in the policy, as the agent computes it (`Rollout.waveIndex`).
    let wave: Int
    let failsBadRelease: Bool
    let silentFrom: Date?
    /// The CloudWatch alarms in its account.
    let alarms: Alarms
    /// It runs an agent that predates health gates: it applies, but never reports health.
    let oldAgent: Bool
    /// Its health under the gate, as its agent last judged it (nil: no gate, or about no release).
    var health: SiloHealth?
    /// It judged itself unhealthy on the new release at some point.
    var wentUnhealthy = false
    var lastPointer: AcceptedDocument?
    var applied: Target?
    var failed: Set<TargetKey> = []
    var deploying: Target?
    var deployingUntil: Date?
    var finishedAt: Date?
    /// The last report written to the bucket (the agent's `StatusReporter` keeps the same).
    var written: StatusReport?
    /// When the silo last wrote a report that changed more than its time.
    var changedAt = Date.distantPast

    /// What the fleet shares on one tick.
    struct Context {
        var channel: Channel
        var now: Date
        var bad: SemVer
        var heartbeat: Int
    }

    /// Where the silo reads its pointer and writes its reports: the bucket (a conditional
    /// GET and `openPointer`; `putStatus`), or, `.memory`, the schedule's pointer as it is
    /// (fetched when its serial is new) and the reports kept in `written` only.
    enum Channel {
        case bucket(SharedBucket, key: String, trust: TrustStore)
        case memory(Pointer)
    }

    /// What a tick did that the checks must see.
    enum Step {
        case quiet
        /// The silo started an update to `target`, judged against the `accepted` block.
        case started(Target, accepted: Rollout?)
    }

    /// The alarms of the silo's account, named as a gated policy counts them (one by name,
    /// the others by a prefix): all `OK`, but one that fires on the new release `fireAfter`
    /// seconds into its bake, and one that has no data at all (`INSUFFICIENT_DATA`).
    struct Alarms {
        static let names = ["webapp-errors", "sim-latency", "sim-5xx"]
        var fires: String?
        var fireAfter = 0
        var noData: String?

        func states(of applied: SemVer, bakeStartedAt: Date, now: Date, bad: SemVer,
                    facts: SiloFacts) -> [CloudWatch.Alarm] {
            Self.names.map { name in
                var state = CloudWatch.AlarmState.ok
                var reason: String?
                if name == fires, applied == bad, now.timeIntervalSince(bakeStartedAt) >= Double(fireAfter) {
                    state = .alarm
                    reason = "Threshold Crossed: 1 datapoint was greater than the threshold"
                } else if name == noData {
                    state = .insufficientData
                }
                return CloudWatch.Alarm(name: name, arn: "arn:aws:cloudwatch:\(facts.region):\(facts.account):alarm:\(name)",
                                        kind: .metric, state: state, stateReason: reason)
            }
        }
    }

    init(facts: SiloFacts, wave: Int, failsBadRelease: Bool, silentFrom: Date?, alarms: Alarms = Alarms(),
         oldAgent: Bool = false) {
        self.facts = facts
        self.wave = wave
        self.failsBadRelease = failsBadRelease
        self.silentFrom = silentFrom
        self.alarms = alarms
        self.oldAgent = oldAgent
    }

    func isSilent(at now: Date) -> Bool { silentFrom.map { $0 <= now } ?? false }

    mutating func tick(_ context: Context, rng: inout SplitMix64) throws -> Step {
        if isSilent(at: context.now) { return .quiet }
        if let until = deployingUntil, let target = deploying {
            guard until <= context.now else { return .quiet }
            deployingUntil = nil
            deploying = nil
            if target.version == context.bad && failsBadRelease {
                failed.insert(target.key)
                try report(.failed, target: target, context)
            } else {
                applied = target
                finishedAt = context.now
                health = nil
                watchHealth(context)
                try report(.inSync, target: target, context)
            }
            return .quiet
        }
        let observation = try poll(context)
        let selection = selectTarget(SelectionInput(
            pipeline: RolloutSchedule.pipeline, channel: RolloutSchedule.channel, silo: facts.name,
            lastPointer: lastPointer, lastPin: nil, pointer: observation, pin: .absent, now: context.now,
            failed: failed, applied: applied, facts: facts))
        if let accepted = selection.record.last { lastPointer = accepted }
        watchHealth(context)
        switch selection.verdict {
        case .deploy(let target) where target.version == applied?.version:
            applied = target  // the same release under a new serial: nothing moves
            try report(.inSync, target: target, context)
        case .deploy(let target):
            deploying = target
            deployingUntil = context.now.addingTimeInterval(Double(Int.random(in: 1...4, using: &rng)) * 30)
            try report(.deploying, target: target, context)
            return .started(target, accepted: lastPointer?.rollout)
        case .alreadyFailed:
            try heartbeat(context)  // the failure stands until the channel moves on (no health: not applied)
        case .unchanged, .nothing:
            let waiting = selection.waiting ?? selection.refusals.first
            try report(waiting == nil ? .inSync : .waiting, target: applied, context,
                       note: waiting.map { .init(code: $0.code.description, message: $0.message) })
        }
        return .quiet
    }

    /// The agent's health watch (`Agent.watchHealth`): under the accepted pointer's gate,
    /// about the release applied from it, judged by `HealthJudge` on the account's alarms
    /// (no CloudWatch read once a verdict is final). An old agent judges nothing.
    private mutating func watchHealth(_ context: Context) {
        guard !oldAgent, let gate = lastPointer?.rollout?.health, let applied, let finishedAt,
              lastPointer?.version == applied.version else {
            health = nil
            return
        }
        if let health, health.version == applied.version, health.state != .baking { return }
        health = HealthJudge.judge(gate: gate, version: applied.version, bakeStartedAt: finishedAt, now: context.now,
                                   alarms: alarms.states(of: applied.version, bakeStartedAt: finishedAt, now: context.now,
                                                         bad: context.bad, facts: facts),
                                   earlier: health)
        if health?.state == .unhealthy, applied.version == context.bad { wentUnhealthy = true }
    }

    /// The agent's poll of the channel pointer.
    private func poll(_ context: Context) throws -> Observation<Pointer> {
        switch context.channel {
        case .memory(let pointer):
            return lastPointer?.serial == pointer.serial ? .notModified
                : .fetched(pointer, sha256: String(pointer.serial), etag: String(pointer.serial))
        case .bucket(let bucket, let key, let trust):
            switch try bucket.read(key: key, ifNoneMatch: lastPointer?.etag, cap: SizeCap.pointer) {
            case .notModified: return .notModified
            case .absent: return .absent
            case .found(let data, let etag):
                do {
                    return .fetched(try openPointer(bytes: data, trust: trust, now: context.now), sha256: sha256Hex(data),
                                    etag: etag)
                } catch {
                    return .refused(error)
                }
            }
        }
    }

    /// Writes `report` to the bucket when it changed (`.memory`: keeps it only).
    private mutating func write(_ report: StatusReport, _ context: Context) throws {
        if case .bucket(let bucket, _, _) = context.channel { try bucket.putStatus(report) }
        written = report
    }

    private mutating func report(_ state: StatusReport.State, target: Target?, _ context: Context,
                                 note: StatusReport.Failure? = nil) throws {
        let report = StatusReport(
            pipeline: RolloutSchedule.pipeline, silo: facts.name, channel: RolloutSchedule.channel,
            target: target?.version, applied: applied?.version, state: state,
            error: state == .failed ? .init(code: "stackFailed", message: "the update failed") : note,
            reportedAt: Timestamp.format(context.now), finishedAt: finishedAt.map(Timestamp.format), intervalSeconds: 30,
            targetSerial: target?.serial, heartbeatSeconds: context.heartbeat, wave: wave,
            health: health?.version == applied?.version ? health : nil)
        guard StatusBuilder.shouldWrite(report, last: written) else { return }
        var previous = written
        previous?.reportedAt = report.reportedAt
        if previous != report { changedAt = context.now }
        try write(report, context)
    }

    private mutating func heartbeat(_ context: Context) throws {
        guard var last = written,
              StatusBuilder.heartbeatDue(last: last, heartbeatSeconds: context.heartbeat, now: context.now) else { return }
        last.reportedAt = Timestamp.format(context.now)
        try write(last, context)
    }
}
