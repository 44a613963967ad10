import Agent
import Basics
import Bucket
import Fleet
import Foundation
import Manifest
import MemoryStore
import Synchronization

/// One seeded schedule of a rollout (see `RolloutSimulation`): its own bucket (a
/// `MemoryStore`), a fleet of `RolloutSilo`s, and the real `RolloutController` writing
/// signed pointers by compare-and-swap through `SharedBucket`. Every 30 s step, each silo
/// ticks with probability 0.9; then, every `controllerEvery` steps, the controller ticks
/// with probability 0.9 (else it is down: a restart), each time as a new process that keeps nothing from the last tick,
/// and one tick in six races a second controller with another key.
struct RolloutSchedule {
    static let pipeline = "sim"
    static let channel = "stable"
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let regions = ["eu-west-1", "us-east-1", "ap-south-1"]
    static let waves = [WaveSelector(name: "canaries", silos: ["silo-000*"]),
                        WaveSelector(name: "eu-half", regions: ["eu-west-1"], percent: 50),
                        WaveSelector(name: "third", percent: 30), WaveSelector(name: "rest")]
    /// Simulated seconds per step, and the steps after which a schedule gives up.
    static let step = 30.0
    static let steps = 720

    let clock = WorldClock(start)
    let racing: RacingStore
    let bucket: SharedBucket
    let pointerKey: String
    let trust: TrustStore
    /// The controller's key and its rival's, both trusted to move the channel.
    let writers: [PointerSigner]
    let policy: RolloutPolicy
    let good = Self.release("1.0.0")
    let bad = Self.release("1.1.0")
    var silos: [RolloutSilo] = []
    /// The channel pointer as it stands in the bucket (read after every controller step).
    var pointer: Pointer
    /// How many waves were open when the pointer last named the new release.
    var openForBad = 0
    /// When the controller last wrote the pointer.
    var lastPointerChange = start
    var now = start
    var stats = RolloutSimulation.Result()

    /// The controller ticks every this many steps (`ferry rollout --every`).
    let controllerEvery: Int
    let mode: RolloutSimulation.Mode

    init(silos count: Int, mode: RolloutSimulation.Mode = .bucket, controllerEvery: Int = 1,
         rng: inout SplitMix64) throws {
        self.controllerEvery = max(controllerEvery, 1)
        self.mode = mode
        let store = MemoryStore(now: { [clock] in clock.now() })
        store.createBucket("ferry-sim")
        let plain = SharedBucket(store: store, name: "ferry-sim", layout: BucketLayout(prefix: "ferry/"))
        pointerKey = try plain.pointerKey(pipeline: Self.pipeline, scope: .channel(Self.channel))
        racing = RacingStore(store, key: pointerKey)
        bucket = SharedBucket(store: racing, name: "ferry-sim", layout: BucketLayout(prefix: "ferry/"))
        let keys = try (0..<2).map { index in try SigningKey(seed: Data(repeating: UInt8(0x51 + index), count: 32)) }
        let trust = TrustStore(keys.map { ($0.publicKey, Set(Role.allCases)) })
        self.trust = trust
        writers = keys.map { PointerSigner(key: $0, trust: trust) }
        policy = Self.policy(rng: &rng)

        // Most releases are good (a few silos fail them); some are bad (many do).
        let failRate = Double.random(in: 0..<1, using: &rng) < 0.4 ? Double.random(in: 0.05...0.5, using: &rng)
            : Double.random(in: 0...0.01, using: &rng)
        let silentRate = Double.random(in: 0...0.05, using: &rng)
        // Under a health gate: some releases trip an alarm in many silos' accounts (at a
        // random tick of their bake), most in a few; in 1 schedule of 8 an alarm has no
        // data in up to 2 % of the silos; in 1 of 5 one or two silos run an old agent.
        let gated = !policy.alarms.isEmpty
        let alarmRate = !gated ? 0 : Double.random(in: 0..<1, using: &rng) < 0.4
            ? Double.random(in: 0.05...0.4, using: &rng) : Double.random(in: 0...0.01, using: &rng)
        let noDataRate = gated && Int.random(in: 0..<8, using: &rng) == 0 ? Double.random(in: 0...0.02, using: &rng) : 0
        let oldAgents: Set<Int> = gated && Int.random(in: 0..<5, using: &rng) == 0
            ? Set((0..<Int.random(in: 1...2, using: &rng)).map { _ in Int.random(in: 0..<count, using: &rng) }) : []
        for index in 0..<count {
            let facts = SiloFacts(name: String(format: "silo-%04d", index), account: String(format: "%012d", index + 1),
                                  region: Self.regions[index % Self.regions.count])
            let silent = Double.random(in: 0..<1, using: &rng) < silentRate
            let failsBadRelease = Double.random(in: 0..<1, using: &rng) < failRate
            let silentFrom = silent ? Self.start.addingTimeInterval(Double.random(in: 0...7200, using: &rng)) : nil
            var alarms = RolloutSilo.Alarms()
            if Double.random(in: 0..<1, using: &rng) < alarmRate {
                alarms.fires = RolloutSilo.Alarms.names.randomElement(using: &rng)
                alarms.fireAfter = Int.random(in: 0..<max(policy.bake / 30, 1), using: &rng) * 30
            }
            if Double.random(in: 0..<1, using: &rng) < noDataRate { alarms.noData = "sim-latency" }
            silos.append(RolloutSilo(facts: facts, wave: Rollout.waveIndex(of: facts, in: Self.waves),
                                     failsBadRelease: failsBadRelease, silentFrom: silentFrom, alarms: alarms,
                                     oldAgent: oldAgents.contains(index)))
        }
        stats.gated = gated ? 1 : 0
        stats.oldAgents = oldAgents.count
        // The fleet runs 1.0.0 with every wave open (and the policy's health gate, as the
        // controller adopted it); then 1.1.0 is promoted, and the carried block starts its
        // rollout at wave 0 (what `ferry promote` writes).
        let first = Rollout(waves: Self.waves, open: Self.waves.count, health: HealthGate(policy: policy))
        switch mode {
        case .bucket:
            _ = try bucket.commit(try bucket.planMove(
                pipeline: Self.pipeline, scope: .channel(Self.channel), to: .release(good), reason: "first",
                by: writers[0], rollout: .set(first)), by: writers[0], now: now)
            pointer = try Self.current(bucket)
        case .memory:
            pointer = Pointer(pipeline: Self.pipeline, scope: .channel(Self.channel), serial: 1, release: good,
                              issuedAt: Timestamp.format(Self.start), expiresAt: nil, reason: "first",
                              issuedBy: keys[0].id, rollout: first)
        }
        for index in silos.indices { try silos[index].settle(context) }
        switch mode {
        case .bucket:
            _ = try bucket.commit(try bucket.planMove(
                pipeline: Self.pipeline, scope: .channel(Self.channel), to: .release(bad), reason: "promote 1.1.0",
                by: writers[0]), by: writers[0], now: now)
            pointer = try Self.current(bucket)
        case .memory:
            pointer = next(release: bad, rollout: first.carried(from: good, to: bad), reason: "promote 1.1.0")
        }
    }

    /// `.memory`: the pointer after this one (unsigned: the silos take it as it is).
    func next(release: PointedRelease?, rollout: Rollout?, reason: String) -> Pointer {
        Pointer(pipeline: Self.pipeline, scope: .channel(Self.channel), serial: pointer.serial + 1, release: release,
                issuedAt: Timestamp.format(now), expiresAt: nil, reason: reason, issuedBy: pointer.issuedBy, rollout: rollout)
    }

    static func policy(rng: inout SplitMix64) -> RolloutPolicy {
        let wave: RolloutPolicy.Tolerance = Bool.random(using: &rng) ? .count(Int.random(in: 0...3, using: &rng))
            : .percent(Int.random(in: 1...20, using: &rng))
        // One schedule in four has a change freeze somewhere in its first three hours.
        var freezes: [RolloutPolicy.Freeze] = []
        if Int.random(in: 0..<4, using: &rng) == 0 {
            let from = start.addingTimeInterval(Double(Int.random(in: 0...360, using: &rng)) * 30)
            freezes.append(.init(from: from, until: from.addingTimeInterval(Double(Int.random(in: 30...120, using: &rng)) * 30),
                                 reason: "simulated freeze"))
        }
        let bake = [0, 300, 900].randomElement(using: &rng)!
        let total = RolloutPolicy.Tolerance.percent(Int.random(in: 2...15, using: &rng))
        let unreported: RolloutPolicy.Unreported = Bool.random(using: &rng) ? .wait : .skipAfter(1800)
        let rollback = Int.random(in: 0..<4, using: &rng) != 0
        let quarantine = Int.random(in: 0..<4, using: &rng) != 0
        // One schedule in two has a health gate: an alarm by name and others by prefix,
        // judged by each silo over the bake, and a random rule for an alarm without data.
        let alarms: [RolloutPolicy.AlarmMatch] = Bool.random(using: &rng) ? [.name("webapp-errors"), .prefix("sim-")] : []
        let insufficientData = RolloutPolicy.InsufficientData.allCases.randomElement(using: &rng)!
        return RolloutPolicy(waves: waves, bake: bake, maxFailures: .init(wave: wave, total: total), alarms: alarms,
                             insufficientData: insufficientData, unreported: unreported, rollbackOnHalt: rollback,
                             quarantineOnHalt: quarantine, freezes: freezes)
    }

    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: String(repeating: version == "1.0.0" ? "a" : "c", count: 64),
                       bundleSha256: String(repeating: "b", count: 64))
    }

    /// The channel pointer in the bucket (the harness's own read: no signature check).
    static func current(_ bucket: SharedBucket) throws -> Pointer {
        guard let (pointer, _) = try bucket.currentPointer(pipeline: pipeline, scope: .channel(channel)) else {
            throw SimulationError("the channel pointer is gone from the bucket")
        }
        return pointer
    }

    var context: RolloutSilo.Context {
        RolloutSilo.Context(channel: mode == .bucket ? .bucket(bucket, key: pointerKey, trust: trust) : .memory(pointer),
                            now: now, bad: bad.version, heartbeat: Int(AgentSettings.defaultHeartbeat))
    }

    var isHalted: Bool { pointer.rollout?.halted == true }

    /// Runs the schedule to a halt, a finished rollout or the step limit.
    mutating func run(rng: inout SplitMix64) throws -> RolloutSimulation.Result {
        for step in 1...Self.steps {
            now = now.addingTimeInterval(Self.step)
            clock.set(now)
            let context = context
            for index in silos.indices where Double.random(in: 0..<1, using: &rng) < 0.9 {
                if case .started(let target, let accepted) = try silos[index].tick(context, rng: &rng) {
                    checkStart(silos[index], target: target, accepted: accepted)
                }
            }
            checkMoving()
            if step % controllerEvery != 0 {
                // not the controller's turn
            } else if Double.random(in: 0..<1, using: &rng) < 0.9 {
                try controllerStep(race: Int.random(in: 0..<6, using: &rng) == 0)
            } else {
                stats.restarts += 1
            }
            if silos.allSatisfy({ $0.deploying == nil }), isHalted || isFinished || isHeld { break }
        }
        stats.schedules = 1
        if isHalted {
            stats.halted = 1
        } else if isFinished {
            stats.completed = 1
            stats.completedSeconds.append(now.timeIntervalSince(Self.start))
        } else if isHeld {
            stats.held = 1
        }
        stats.unhealthy = silos.reduce(0) { $0 + ($1.wentUnhealthy ? 1 : 0) }
        return stats
    }

    /// Nothing can move any more: no pointer write and no silo's report changed for the
    /// bake time plus 20 ticks (a live silo misses 20 ticks in a row with odds of 1e-20),
    /// no change freeze is still to end, and under `skipAfter` every silent silo has been
    /// silent long enough to be skipped. What holds it is the policy's `unreported: wait`
    /// with silent silos in an open wave: a person must act (`ferry rollout status`).
    var isHeld: Bool {
        let quiet = silos.reduce(lastPointerChange) { max($0, $1.changedAt) }
        guard now.timeIntervalSince(quiet) >= Double(policy.bake) + 20 * Self.step,
              policy.freezes.allSatisfy({ $0.until <= now }) else { return false }
        if case .skipAfter(let limit) = policy.unreported {
            return silos.allSatisfy { silo in
                silo.silentFrom.map { now.timeIntervalSince($0) > Double(limit) + Self.step } ?? true
            }
        }
        return true
    }

    /// Every wave open, and every silo that can runs the new release (under a health gate:
    /// and has judged its health on it, but for old agents, which never do).
    var isFinished: Bool {
        let gated = pointer.rollout?.health != nil
        return pointer.rollout?.open == Self.waves.count && pointer.release?.version == bad.version
            && silos.allSatisfy { silo in
                silo.isSilent(at: now) || silo.failsBadRelease || silo.applied?.version == bad.version
                    && (!gated || silo.oldAgent || silo.health.map { $0.version == bad.version && $0.state != .baking } == true)
            }
    }
}

extension RolloutSilo {
    /// Brings a new silo to the channel's release at once (the fleet before the rollout).
    mutating func settle(_ context: Context) throws {
        var rng = SplitMix64(seed: 0)
        _ = try tick(context, rng: &rng)
        deployingUntil = deployingUntil.map { _ in context.now }
        _ = try tick(context, rng: &rng)
    }
}
