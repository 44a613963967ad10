import Foundation
import Manifest

/// What the rollout controller does on one tick (pure: the channel's pointer, the silos'
/// reports, the policy and the time in; one step out). The caller carries the step out
/// with one signed move (compare-and-swap), so two controllers at once are safe.
public enum RolloutStep: Equatable, Sendable {
    /// Sign the pointer with one more wave open.
    case open(wave: Int, reason: String)
    /// Failures passed the tolerance: sign a halted pointer (rolled back to `to`, the
    /// version quarantined, as the policy says).
    case halt(reason: String, rollback: PointedRelease?, quarantine: SemVer?)
    /// Nothing to do yet: why (silos not in sync, baking, a freeze, paused).
    case wait(String)
    /// Every wave is open and every silo seen is in sync at the version.
    case done
    /// The rollout is halted (or was never started): no wave opens.
    case stopped(String)
}

/// The controller's judgement of one channel (docs/operations.md, "Rollouts").
public struct RolloutDecision: Sendable {
    public var policy: RolloutPolicy
    /// The channel's current pointer; its `rollout` block is the rollout's state.
    public var pointer: Pointer
    /// The reports of the silos that follow the channel (others are ignored).
    public var reports: [StatusReport]
    public var now: Date
    /// `--force`: open a wave inside a freeze.
    public var force: Bool

    public init(policy: RolloutPolicy, pointer: Pointer, reports: [StatusReport], now: Date, force: Bool = false) {
        self.policy = policy
        self.pointer = pointer
        self.reports = reports
        self.now = now
        self.force = force
    }

    /// A silo of an open wave that failed the version: it failed or refused it, or it
    /// reported itself unhealthy on it (a counted alarm during its bake).
    static func isFailure(_ report: StatusReport, version: SemVer) -> Bool {
        if (report.state == .failed || report.state == .refused) && report.target == version { return true }
        guard let health = report.health else { return false }
        return health.state == .unhealthy && health.version == version
    }

    /// In sync at the version, and since when (`finishedAt`, else the report's time).
    static func syncedSince(_ report: StatusReport, version: SemVer) -> Date? {
        guard report.state == .inSync, report.applied == version else { return nil }
        return Timestamp.parse(report.finishedAt ?? report.reportedAt)
    }

    /// The unhealthy silos among `failed` and their alarms, for the halt's reason: "" when
    /// none is unhealthy, else ": silo-b unhealthy (webapp-errors)".
    static func healthNote(_ failed: [StatusReport]) -> String {
        let notes = failed.compactMap { report -> String? in
            guard let health = report.health, health.state == .unhealthy else { return nil }
            return "\(report.silo) unhealthy (\(health.alarms.joined(separator: ", ")))"
        }.sorted()
        return notes.isEmpty ? "" : ": " + notes.joined(separator: "; ")
    }

    /// Under a health gate: nil when the silo (in sync at the version) has reported
    /// itself healthy on it, else why the wave waits for it.
    static func healthWait(_ report: StatusReport, version: SemVer, gate: HealthGate, now: Date) -> String? {
        guard let health = report.health, health.version == version else {
            return "reports no health for \(version) yet (an agent older than health gates never does: upgrade it)"
        }
        switch health.state {
        case .healthy:
            return nil
        case .unhealthy:
            return "is unhealthy"
        case .baking:
            let baked = Timestamp.parse(health.bakeStartedAt).map { Int(now.timeIntervalSince($0)) } ?? 0
            let waiting = health.alarms.isEmpty ? "" : "; waits for data from \(health.alarms.joined(separator: ", "))"
            return "bakes: \(max(baked, 0))s of \(gate.bakeSeconds)s, watching \(health.watched) alarms\(waiting)"
        }
    }

    /// Under `unreported: skipAfter`, a silo that reported `baking` on `version` and then
    /// went silent: its verdict was due when its bake ended, and it has said nothing for the
    /// limit since then (nor since its last report). It is left out of the wave, as a silo
    /// silent before it was in sync is; without this it would hold the rollout for ever.
    func silentPastBake(_ report: StatusReport, version: SemVer) -> Bool {
        guard case .skipAfter(let limit) = policy.unreported, let health = report.health, health.version == version,
              health.state == .baking, let started = Timestamp.parse(health.bakeStartedAt),
              let written = Timestamp.parse(report.reportedAt) else { return false }
        let due = max(started.addingTimeInterval(Double(health.bakeSeconds)), written)
        return now.timeIntervalSince(due) >= Double(limit)
    }

    public func decide() -> RolloutStep {
        guard let rollout = pointer.rollout, let release = pointer.release else {
            return .stopped("channel \(pointer.scope.name) has no rollout: every silo applies at once")
        }
        if rollout.halted { return .stopped("the rollout of \(release.version) is halted") }
        let version = release.version
        // The silos of this channel's rollout, by wave (the wave each silo reports).
        let mine = reports.filter { $0.channel == pointer.scope.name && !$0.pinned }
        var byWave: [Int: [StatusReport]] = [:]
        for report in mine {
            let wave = min(report.wave ?? rollout.waveIndex(of: SiloFacts(name: report.silo)), rollout.waves.count - 1)
            byWave[wave, default: []].append(report)
        }
        // The brakes first: failures per open wave, and over every silo seen.
        var totalFailures = 0
        var allFailed: [StatusReport] = []
        for wave in 0..<rollout.open {
            let silos = byWave[wave] ?? []
            let failed = silos.filter { Self.isFailure($0, version: version) }
            let failures = failed.count
            totalFailures += failures
            allFailed += failed
            if failures > 0, policy.maxFailures.wave.isExceeded(failures: failures, of: silos.count) {
                return halt("\(failures) of \(silos.count) silos of wave '\(rollout.waves[wave].name)' failed \(version) "
                    + "(tolerance \(policy.maxFailures.wave))" + Self.healthNote(failed), rollout: rollout)
            }
        }
        if totalFailures > 0, policy.maxFailures.total.isExceeded(failures: totalFailures, of: mine.count) {
            return halt("\(totalFailures) of \(mine.count) silos failed \(version) (tolerance \(policy.maxFailures.total) "
                + "overall)" + Self.healthNote(allFailed), rollout: rollout)
        }
        // Every silo of the open waves in sync at the version and baked (or skipped).
        for wave in 0..<rollout.open {
            for report in byWave[wave] ?? [] where !Self.isFailure(report, version: version) {
                if Self.syncedSince(report, version: version) != nil, let gate = rollout.health {
                    // The silo judges its own bake against its alarms: only its `healthy` counts.
                    if let why = Self.healthWait(report, version: version, gate: gate, now: now),
                       !silentPastBake(report, version: version) {
                        return .wait("\(report.silo) (wave '\(rollout.waves[wave].name)') \(why)")
                    }
                    continue
                }
                if let since = Self.syncedSince(report, version: version) {
                    let baked = now.timeIntervalSince(since)
                    if baked < Double(policy.bake) {
                        return .wait("\(report.silo) (wave '\(rollout.waves[wave].name)') bakes: \(Int(baked))s of "
                            + "\(policy.bake)s")
                    }
                    continue
                }
                if case .skipAfter(let limit) = policy.unreported, let written = Timestamp.parse(report.reportedAt),
                   now.timeIntervalSince(written) >= Double(limit) {
                    continue  // silent too long: left out of the wave
                }
                return .wait("\(report.silo) (wave '\(rollout.waves[wave].name)') is not in sync at \(version) yet "
                    + "(\(report.state.rawValue), runs \(report.applied?.description ?? "nothing"))")
            }
        }
        guard rollout.open < rollout.waves.count else { return .done }
        if let freeze = policy.freeze(at: now), !force {
            return .wait("change freeze until \(Timestamp.format(freeze.until)): \(freeze.reason); "
                + "--force --reason opens the next wave all the same")
        }
        let next = rollout.waves[rollout.open]
        let forced = policy.freeze(at: now).map { " (forced inside the freeze '\($0.reason)')" } ?? ""
        return .open(wave: rollout.open, reason: "rollout \(version): open wave \(rollout.open + 1) of "
            + "\(rollout.waves.count) '\(next.name)'\(forced)")
    }

    private func halt(_ why: String, rollout: Rollout) -> RolloutStep {
        .halt(reason: "rollout halted: " + why,
              rollback: policy.rollbackOnHalt ? rollout.previous : nil,
              quarantine: policy.quarantineOnHalt ? pointer.release?.version : nil)
    }
}

extension Rollout {
    /// The block a step writes (the release it names is the caller's: the same, or the
    /// rollback's).
    public func after(_ step: RolloutStep) -> Rollout {
        var block = self
        switch step {
        case .open:
            block.open += 1
        case .halt(_, let rollback, let quarantine):
            block.halted = true
            if let quarantine, !block.quarantined.contains(quarantine) { block.quarantined.append(quarantine) }
            // Rolled back: the previous release is safe everywhere, every wave takes it.
            if rollback != nil { block.open = waves.count }
        case .wait, .done, .stopped:
            break
        }
        return block
    }
}
