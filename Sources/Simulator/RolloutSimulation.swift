import Agent
import Fleet
import Foundation
import Manifest

/// Rollouts with brakes, checked at scale over seeded random schedules (issue 14). Each
/// schedule runs a fleet of silos through one rollout of a release that may be bad, with
/// silos that fail it, silos that go silent, and a controller that restarts, misses ticks
/// and races a second controller. The silos choose what to run with the agent's own
/// `selectTarget` (their journal of accepted documents kept in memory) and report real
/// `StatusReport`s; the controller is the real `RolloutDecision`. On every step it checks:
///
/// - no silo of an unopened wave starts applying the channel's release;
/// - never more silos move at once than the open waves hold;
/// - the halt comes on the first controller tick at which the tolerance is crossed;
/// - no silo applies a quarantined version.
public struct RolloutSimulation {
    public var silos: Int
    public var schedules: Int
    public var seed: UInt64

    public init(silos: Int, schedules: Int, seed: UInt64 = 1) {
        self.silos = silos
        self.schedules = schedules
        self.seed = seed
    }

    public struct Result: Sendable, Equatable {
        public var schedules = 0
        public var checks = 0
        public var halted = 0
        public var completed = 0
        /// Simulated seconds from the promote to the last wave in sync, per completed schedule.
        public var completedSeconds: [Double] = []
        public var violations: [String] = []
    }

    public func run() throws -> Result {
        var result = Result()
        for index in 0..<schedules {
            var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
            var schedule = try RolloutSchedule(silos: silos, rng: &rng)
            try schedule.run(rng: &rng, into: &result)
            result.schedules += 1
        }
        return result
    }
}

/// One schedule: the fleet, the channel's pointer, the controller's policy.
struct RolloutSchedule {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let regions = ["eu-west-1", "us-east-1", "ap-south-1"]
    static let key = try! KeyID(hex: String(repeating: "5", count: 64))

    struct Silo {
        var facts: SiloFacts
        var wave: Int
        var lastPointer: AcceptedDocument?
        var applied: Target?
        var failed: Set<TargetKey> = []
        var deployingUntil: Date?
        var deploying: Target?
        var finishedAt: Date?
        var failsBadRelease: Bool
        var silentFrom: Date?
        var report: StatusReport?
    }

    var silos: [Silo] = []
    var pointer: Pointer
    var policy: RolloutPolicy
    let good: PointedRelease
    let bad: PointedRelease
    var now = start

    init(silos count: Int, rng: inout SplitMix64) throws {
        good = Self.release("1.0.0")
        bad = Self.release("1.1.0")
        let waves = [WaveSelector(name: "canaries", silos: ["silo-000*"]),
                     WaveSelector(name: "eu-half", regions: ["eu-west-1"], percent: 50),
                     WaveSelector(name: "third", percent: 30), WaveSelector(name: "rest")]
        let tolerance: RolloutPolicy.Tolerance = Bool.random(using: &rng) ? .count(Int.random(in: 0...3, using: &rng))
            : .percent(Int.random(in: 1...20, using: &rng))
        policy = RolloutPolicy(waves: waves, bake: [0, 300, 900].randomElement(using: &rng)!,
                               maxFailures: .init(wave: tolerance, total: .percent(Int.random(in: 2...15, using: &rng))),
                               unreported: Bool.random(using: &rng) ? .wait : .skipAfter(1800))
        // Some schedules ship a bad release (many silos fail it), most a mostly good one.
        let failRate = Double.random(in: 0..<1, using: &rng) < 0.4 ? Double.random(in: 0.05...0.5, using: &rng)
            : Double.random(in: 0...0.01, using: &rng)
        let silentRate = Double.random(in: 0...0.05, using: &rng)
        let block = Rollout(waves: waves, open: waves.count)
        pointer = Pointer(pipeline: "sim", scope: .channel("stable"), serial: 1, release: good,
                          issuedAt: Timestamp.format(Self.start), expiresAt: nil, reason: "first", issuedBy: Self.key,
                          rollout: block)
        for index in 0..<count {
            let facts = SiloFacts(name: String(format: "silo-%04d", index), account: String(format: "%012d", index + 1),
                                  region: Self.regions[index % Self.regions.count])
            var accepted = Self.accepted(pointer)
            accepted.rollout = block
            let silent = Double.random(in: 0..<1, using: &rng) < silentRate
            silos.append(Silo(facts: facts, wave: block.waveIndex(of: facts), lastPointer: accepted,
                              applied: accepted.target, failsBadRelease: Double.random(in: 0..<1, using: &rng) < failRate,
                              silentFrom: silent ? Self.start.addingTimeInterval(Double.random(in: 0...7200, using: &rng)) : nil))
        }
        // The release moves up: the carried block starts the rollout at wave 0.
        pointer = next(pointer, release: bad, rollout: block.carried(from: good, to: bad), reason: "promote 1.1.0")
    }

    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: String(repeating: version == "1.0.0" ? "a" : "c", count: 64),
                       bundleSha256: String(repeating: "b", count: 64))
    }

    static func accepted(_ pointer: Pointer) -> AcceptedDocument {
        AcceptedDocument(kind: .channel, name: "stable", serial: pointer.serial, sha256: String(pointer.serial),
                         etag: nil, version: pointer.release!.version, manifestSha256: pointer.release!.manifestSha256,
                         bundleSha256: pointer.release!.bundleSha256, expiresAt: nil,
                         acceptedAt: Timestamp.format(start), rollout: pointer.rollout)
    }

    func next(_ current: Pointer, release: PointedRelease?, rollout: Rollout?, reason: String) -> Pointer {
        Pointer(pipeline: "sim", scope: .channel("stable"), serial: current.serial + 1, release: release,
                issuedAt: Timestamp.format(now), expiresAt: nil, reason: reason, issuedBy: Self.key, rollout: rollout)
    }

    mutating func run(rng: inout SplitMix64, into result: inout RolloutSimulation.Result) throws {
        var halted = false
        for _ in 0..<720 {  // six simulated hours of 30 s steps
            now = now.addingTimeInterval(30)
            for index in silos.indices where Double.random(in: 0..<1, using: &rng) < 0.9 {
                tickSilo(index, rng: &rng, into: &result)
            }
            checkMoving(into: &result)
            // The controller: down (a restart) one tick in ten; it starts again from the pointer.
            if Double.random(in: 0..<1, using: &rng) < 0.9 {
                halted = controllerTick(into: &result) || halted
            }
            if pointer.rollout?.halted == true, silos.allSatisfy({ $0.deploying == nil }) { break }
            if pointer.rollout?.open == policy.waves.count, silos.allSatisfy({ $0.deploying == nil
                && ($0.applied?.version == bad.version || $0.silentFrom.map { $0 <= now } == true || $0.failsBadRelease) }) {
                break
            }
        }
        if halted {
            result.halted += 1
        } else if pointer.rollout?.open == policy.waves.count {
            result.completed += 1
            result.completedSeconds.append(now.timeIntervalSince(Self.start))
        }
    }

    mutating func tickSilo(_ index: Int, rng: inout SplitMix64, into result: inout RolloutSimulation.Result) {
        var silo = silos[index]
        defer { silos[index] = silo }
        if let silent = silo.silentFrom, silent <= now { return }  // gone quiet: neither applies nor reports
        if let until = silo.deployingUntil, let target = silo.deploying {
            guard until <= now else { return }
            silo.deployingUntil = nil
            silo.deploying = nil
            if target.version == bad.version && silo.failsBadRelease {
                silo.failed.insert(target.key)
                silo.report = report(silo, state: .failed, target: target)
            } else {
                silo.applied = target
                silo.finishedAt = now
                silo.report = report(silo, state: .inSync, target: target)
            }
            return
        }
        let observation: Observation<Pointer> = silo.lastPointer?.serial == pointer.serial ? .notModified
            : .fetched(pointer, sha256: String(pointer.serial), etag: nil)
        let selection = selectTarget(SelectionInput(
            pipeline: "sim", channel: "stable", silo: silo.facts.name, lastPointer: silo.lastPointer, lastPin: nil,
            pointer: observation, pin: .absent, now: now, failed: silo.failed, applied: silo.applied, facts: silo.facts))
        if let accepted = selection.record.last { silo.lastPointer = accepted }
        switch selection.verdict {
        case .deploy(let target):
            // The checks: the silo's wave is open in what it accepted, and the version is not quarantined.
            result.checks += 2
            let block = silo.lastPointer?.rollout
            if let block, silo.wave >= block.open {
                result.violations.append("\(silo.facts.name) of wave \(silo.wave) applies with \(block.open) waves open")
            }
            if pointer.rollout?.isQuarantined(target.version) == true || block?.isQuarantined(target.version) == true {
                result.violations.append("\(silo.facts.name) applies the quarantined \(target.version)")
            }
            if target.key == silo.applied.map(\.key), target.version == silo.applied?.version { return }
            if target.version == silo.applied?.version {
                silo.applied = target  // the same release under a new serial: nothing moves
                silo.report = report(silo, state: .inSync, target: target)
                return
            }
            silo.deploying = target
            silo.deployingUntil = now.addingTimeInterval(Double(Int.random(in: 1...4, using: &rng)) * 30)
            silo.report = report(silo, state: .deploying, target: target)
        case .unchanged, .alreadyFailed, .nothing:
            if silo.report == nil || selection.waiting != nil {
                silo.report = report(silo, state: selection.waiting != nil ? .waiting : .inSync, target: silo.applied)
            } else if var kept = silo.report {
                kept.reportedAt = Timestamp.format(now)  // the heartbeat
                silo.report = kept
            }
        }
    }

    func report(_ silo: Silo, state: StatusReport.State, target: Target?) -> StatusReport {
        StatusReport(pipeline: "sim", silo: silo.facts.name, channel: "stable", target: target?.version,
                     applied: silo.applied?.version, state: state,
                     error: state == .failed ? .init(code: "stackFailed", message: "failed") : nil,
                     reportedAt: Timestamp.format(now), finishedAt: silo.finishedAt.map(Timestamp.format),
                     intervalSeconds: 30, wave: silo.wave)
    }

    /// Never more silos moving to the release than the open waves hold.
    func checkMoving(into result: inout RolloutSimulation.Result) {
        result.checks += 1
        let open = pointer.rollout?.open ?? 0
        let moving = silos.filter { $0.deploying?.version == bad.version }.count
        let room = silos.filter { $0.wave < open }.count
        if moving > room {
            result.violations.append("\(moving) silos move to \(bad.version) with room for \(room) in \(open) open waves")
        }
    }

    /// One controller tick from the pointer and the reports alone. Returns whether it halted.
    mutating func controllerTick(into result: inout RolloutSimulation.Result) -> Bool {
        let reports = silos.compactMap(\.report)
        let read = pointer
        let step = RolloutDecision(policy: policy, pointer: read, reports: reports, now: now).decide()
        // The halt check, computed apart: failures past the tolerance must halt on this tick.
        result.checks += 1
        if let block = read.rollout, !block.halted, toleranceCrossed(block, reports: reports), !isHalt(step) {
            result.violations.append("tolerance crossed at \(Timestamp.format(now)) but the controller chose \(step)")
        }
        guard let block = read.rollout else { return false }
        switch step {
        case .open:
            pointer = next(read, release: read.release, rollout: block.after(step), reason: "open")
        case .halt(_, let rollback, _):
            pointer = next(read, release: rollback ?? read.release, rollout: block.after(step), reason: "halt")
        case .wait, .done, .stopped:
            return false
        }
        return isHalt(step)
    }

    func isHalt(_ step: RolloutStep) -> Bool { if case .halt = step { true } else { false } }

    /// The tolerance rule, written out again from the policy: failures of the release per
    /// open wave and over every silo seen.
    func toleranceCrossed(_ block: Rollout, reports: [StatusReport]) -> Bool {
        guard let version = pointer.release?.version else { return false }
        let failed = reports.filter { ($0.state == .failed || $0.state == .refused) && $0.target == version }
        for wave in 0..<block.open {
            let inWave = reports.filter { $0.wave == wave }
            let failures = failed.filter { $0.wave == wave }.count
            if failures > 0, policy.maxFailures.wave.isExceeded(failures: failures, of: inWave.count) { return true }
        }
        return !failed.isEmpty && policy.maxFailures.total.isExceeded(failures: failed.count, of: reports.count)
    }
}
