import Fleet
import Foundation
import Manifest
import Testing

/// The controller's one step, as a table: reports and the pointer's block in, a step out.
@Suite struct RolloutDecisionTests {
    static let t0 = Timestamp.parse("2026-12-01T12:00:00Z")!
    static let waves = [WaveSelector(name: "one"), WaveSelector(name: "two"), WaveSelector(name: "three")]
    static let v1 = PointedRelease(version: try! SemVer("1.0.0"), manifestSha256: String(repeating: "a", count: 64),
                                   bundleSha256: String(repeating: "b", count: 64))
    static let v2 = PointedRelease(version: try! SemVer("1.1.0"), manifestSha256: String(repeating: "c", count: 64),
                                   bundleSha256: String(repeating: "d", count: 64))

    static func pointer(open: Int, halted: Bool = false) -> Pointer {
        Pointer(pipeline: "webapp", scope: .channel("stable"), serial: 9, release: v2, issuedAt: "2026-12-01T11:00:00Z",
                expiresAt: nil, reason: "r", issuedBy: try! KeyID(hex: String(repeating: "e", count: 64)),
                rollout: Rollout(waves: waves, open: open, halted: halted, previous: v1))
    }

    /// A report of silo `name` in `wave`: in sync at `applied` since `minutesAgo`, or in `state`.
    static func report(_ name: String, wave: Int, _ state: StatusReport.State = .inSync, applied: String = "1.1.0",
                       minutesAgo: Double = 60, reportedMinutesAgo: Double = 0, channel: String = "stable") -> StatusReport {
        let failed = state == .failed || state == .refused
        return StatusReport(pipeline: "webapp", silo: name, channel: channel, target: try! SemVer("1.1.0"),
                            applied: try! SemVer(failed ? "1.0.0" : applied), state: state,
                            error: failed ? .init(code: "stackFailed", message: "x") : nil,
                            reportedAt: Timestamp.format(t0.addingTimeInterval(-reportedMinutesAgo * 60)),
                            finishedAt: Timestamp.format(t0.addingTimeInterval(-minutesAgo * 60)),
                            intervalSeconds: 30, wave: wave)
    }

    static func decide(open: Int, _ reports: [StatusReport], policy: RolloutPolicy = policy(), force: Bool = false,
                       halted: Bool = false) -> RolloutStep {
        RolloutDecision(policy: policy, pointer: pointer(open: open, halted: halted), reports: reports, now: t0,
                        force: force).decide()
    }

    static func policy(bake: Int = 1800, maxFailures: RolloutPolicy.FailureLimits = .init(),
                       unreported: RolloutPolicy.Unreported = .wait, freezes: [RolloutPolicy.Freeze] = []) -> RolloutPolicy {
        RolloutPolicy(waves: waves, bake: bake, maxFailures: maxFailures, unreported: unreported, freezes: freezes)
    }

    @Test func theFirstWaveOpensAtOnce() {
        #expect(Self.decide(open: 0, [Self.report("a", wave: 0, .waiting, applied: "1.0.0")])
            == .open(wave: 0, reason: "rollout 1.1.0: open wave 1 of 3 'one'"))
    }

    @Test func theNextWaveWaitsForSyncAndBake() {
        let notYet = Self.decide(open: 1, [Self.report("a", wave: 0, .deploying, applied: "1.0.0"), Self.report("b", wave: 1)])
        #expect(notYet == .wait("a (wave 'one') is not in sync at 1.1.0 yet (deploying, runs 1.0.0)"))
        let baking = Self.decide(open: 1, [Self.report("a", wave: 0, minutesAgo: 10)])
        #expect(baking == .wait("a (wave 'one') bakes: 600s of 1800s"))
        #expect(Self.decide(open: 1, [Self.report("a", wave: 0, minutesAgo: 30), Self.report("b", wave: 1, applied: "1.0.0")])
            == .open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two'"))
        #expect(Self.decide(open: 3, [Self.report("a", wave: 0), Self.report("b", wave: 2)]) == .done)
    }

    @Test func aFailurePastTheToleranceHaltsRollsBackAndQuarantines() {
        let step = Self.decide(open: 2, [Self.report("a", wave: 0), Self.report("b", wave: 1, .failed),
                                         Self.report("c", wave: 1)])
        #expect(step == .halt(reason: "rollout halted: 1 of 2 silos of wave 'two' failed 1.1.0 (tolerance 0)",
                              rollback: Self.v1, quarantine: try! SemVer("1.1.0")))
        // Within the tolerance: no halt; wave two waits for its failed silo's peers only.
        let tolerant = Self.policy(maxFailures: .init(wave: .count(1), total: .percent(50)))
        #expect(Self.decide(open: 2, [Self.report("a", wave: 0), Self.report("b", wave: 1, .refused),
                                      Self.report("c", wave: 1)], policy: tolerant)
            == .open(wave: 2, reason: "rollout 1.1.0: open wave 3 of 3 'three'"))
        // Over the total: 2 of 3 silos failed, 66% > 50%.
        let total = Self.decide(open: 2, [Self.report("a", wave: 0, .failed), Self.report("b", wave: 1, .failed),
                                          Self.report("c", wave: 1)], policy: tolerant)
        #expect(total == .halt(reason: "rollout halted: 2 of 3 silos failed 1.1.0 (tolerance 50% overall)",
                               rollback: Self.v1, quarantine: try! SemVer("1.1.0")))
        // Without rollback or quarantine in the policy, the halt only stops.
        var stopOnly = Self.policy()
        stopOnly.rollbackOnHalt = false
        stopOnly.quarantineOnHalt = false
        if case .halt(_, let rollback, let quarantine) = Self.decide(open: 1, [Self.report("a", wave: 0, .failed)],
                                                                        policy: stopOnly) {
            #expect(rollback == nil && quarantine == nil)
        } else {
            Issue.record("no halt")
        }
    }

    @Test func silentSilosWaitOrAreSkipped() {
        let silent = [Self.report("a", wave: 0, .inSync, applied: "1.0.0", reportedMinutesAgo: 180)]
        #expect(Self.decide(open: 1, silent) == .wait("a (wave 'one') is not in sync at 1.1.0 yet (in-sync, runs 1.0.0)"))
        #expect(Self.decide(open: 1, silent, policy: Self.policy(unreported: .skipAfter(7200)))
            == .open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two'"))
    }

    @Test func aFreezeHoldsTheNextWaveUnlessForced() {
        let freeze = RolloutPolicy.Freeze(from: Self.t0.addingTimeInterval(-3600), until: Self.t0.addingTimeInterval(3600),
                                          reason: "year end")
        let policy = Self.policy(freezes: [freeze])
        #expect(Self.decide(open: 1, [Self.report("a", wave: 0)], policy: policy)
            == .wait("change freeze until 2026-12-01T13:00:00Z: year end; --force --reason opens the next wave all the same"))
        #expect(Self.decide(open: 1, [Self.report("a", wave: 0)], policy: policy, force: true)
            == .open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two' (forced inside the freeze 'year end')"))
    }

    @Test func haltedAndOtherChannelsAndPins() {
        #expect(Self.decide(open: 1, [], halted: true) == .stopped("the rollout of 1.1.0 is halted"))
        var pinned = Self.report("p", wave: 0, .failed)
        pinned.pinned = true
        // A pinned silo and a silo of another channel count for nothing.
        #expect(Self.decide(open: 1, [pinned, Self.report("o", wave: 0, .failed, channel: "canary")])
            == .open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two'"))
    }

    @Test func theBlockAfterEachStep() {
        let block = Rollout(waves: Self.waves, open: 1, previous: Self.v1)
        #expect(block.after(.open(wave: 1, reason: "")).open == 2)
        let halted = block.after(.halt(reason: "", rollback: Self.v1, quarantine: try! SemVer("1.1.0")))
        #expect(halted.halted && halted.open == 3 && halted.quarantined == [try! SemVer("1.1.0")])
        let stopped = block.after(.halt(reason: "", rollback: nil, quarantine: nil))
        #expect(stopped.halted && stopped.open == 1 && stopped.quarantined.isEmpty)
    }

    // MARK: The health gate

    static let gate = HealthGate(alarmNames: ["webapp-errors"], bakeSeconds: 1800)

    static func gated(open: Int) -> Pointer {
        var pointer = pointer(open: open)
        pointer.rollout?.health = gate
        return pointer
    }

    static func health(_ state: SiloHealth.State, version: String = "1.1.0", alarms: [String] = [],
                       startedMinutesAgo: Double = 10) -> SiloHealth {
        SiloHealth(state: state, version: try! SemVer(version),
                   bakeStartedAt: Timestamp.format(t0.addingTimeInterval(-startedMinutesAgo * 60)), bakeSeconds: 1800,
                   alarms: alarms, watched: 1)
    }

    static func decideGated(open: Int, _ reports: [StatusReport], policy: RolloutPolicy = policy()) -> RolloutStep {
        RolloutDecision(policy: policy, pointer: gated(open: open), reports: reports, now: t0).decide()
    }

    @Test func underAGateOnlyTheSilosOwnHealthyOpensTheNextWave() {
        var a = Self.report("a", wave: 0)  // in sync for an hour: past the bake by the clock
        #expect(Self.decideGated(open: 1, [a]) == .wait("a (wave 'one') reports no health for 1.1.0 yet (an agent "
            + "older than health gates never does: upgrade it)"))
        a.health = Self.health(.healthy, version: "1.0.0")  // about the release before
        #expect(Self.decideGated(open: 1, [a]).isWait)
        a.health = Self.health(.baking)
        #expect(Self.decideGated(open: 1, [a]) == .wait("a (wave 'one') bakes: 600s of 1800s, watching 1 alarms"))
        a.health?.alarms = ["webapp-errors"]
        #expect(Self.decideGated(open: 1, [a]) == .wait("a (wave 'one') bakes: 600s of 1800s, watching 1 alarms; "
            + "waits for data from webapp-errors"))
        a.health = Self.health(.healthy)
        #expect(Self.decideGated(open: 1, [a]) == .open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two'"))
    }

    /// A silo that reported `baking` and went silent: under `unreported: wait` it holds the
    /// wave; under `skipAfter` it is left out once its bake ended the limit ago and it has
    /// said nothing since, never before (a live silo reports its verdict when its bake ends).
    @Test func aSiloSilentInItsBakeIsSkippedOnlyUnderSkipAfterAndOnlyPastItsBake() {
        var a = Self.report("a", wave: 0, reportedMinutesAgo: 90)
        a.health = Self.health(.baking, startedMinutesAgo: 90)  // the bake (30 min) ended 60 min ago
        #expect(Self.decideGated(open: 1, [a]) == .wait("a (wave 'one') bakes: 5400s of 1800s, watching 1 alarms"))
        let opened = RolloutStep.open(wave: 1, reason: "rollout 1.1.0: open wave 2 of 3 'two'")
        #expect(Self.decideGated(open: 1, [a], policy: Self.policy(unreported: .skipAfter(3600))) == opened)
        #expect(Self.decideGated(open: 1, [a], policy: Self.policy(unreported: .skipAfter(3601))).isWait)
        // Still within its bake: waits, however long the limit since the last report.
        a.health = Self.health(.baking, startedMinutesAgo: 20)
        #expect(Self.decideGated(open: 1, [a], policy: Self.policy(unreported: .skipAfter(60))).isWait)
        // Reported lately (a heartbeat): not silent.
        var b = Self.report("b", wave: 0, reportedMinutesAgo: 5)
        b.health = Self.health(.baking, startedMinutesAgo: 90)
        #expect(Self.decideGated(open: 1, [b], policy: Self.policy(unreported: .skipAfter(600))).isWait)
        // Never an unhealthy or a healthless silo.
        b.reportedAt = a.reportedAt
        b.health = nil
        #expect(Self.decideGated(open: 1, [b], policy: Self.policy(unreported: .skipAfter(60))).isWait)
    }

    @Test func anUnhealthySiloIsAFailureThatHaltsNamingTheAlarm() {
        var b = Self.report("b", wave: 1)
        b.health = Self.health(.unhealthy, alarms: ["webapp-errors"])
        var a = Self.report("a", wave: 0)
        a.health = Self.health(.healthy)
        let step = Self.decideGated(open: 2, [a, b, Self.report("c", wave: 1)])
        #expect(step == .halt(reason: "rollout halted: 1 of 2 silos of wave 'two' failed 1.1.0 (tolerance 0): "
            + "b unhealthy (webapp-errors)", rollback: Self.v1, quarantine: try! SemVer("1.1.0")))
        // Within the tolerance it counts toward the total, and never as healthy.
        let tolerant = Self.policy(maxFailures: .init(wave: .count(1), total: .count(1)))
        var c = Self.report("c", wave: 1)
        c.health = Self.health(.healthy)
        #expect(Self.decideGated(open: 2, [a, b, c], policy: tolerant)
            == .open(wave: 2, reason: "rollout 1.1.0: open wave 3 of 3 'three'"))
        var a2 = a
        a2.health = Self.health(.unhealthy, alarms: ["webapp-errors"])
        #expect(Self.decideGated(open: 2, [a2, b, c], policy: tolerant)
            == .halt(reason: "rollout halted: 2 of 3 silos failed 1.1.0 (tolerance 1 overall): a unhealthy (webapp-errors); "
                + "b unhealthy (webapp-errors)", rollback: Self.v1, quarantine: try! SemVer("1.1.0")))
        // An unhealthy verdict about another release is no failure of this one.
        b.health = Self.health(.unhealthy, version: "1.0.0", alarms: ["webapp-errors"])
        #expect(Self.decideGated(open: 2, [a, b]).isWait)
    }

    @Test func theControllerWritesThePolicysGate() {
        let policy = RolloutPolicy(waves: Self.waves, bake: 300, alarms: [.name("webapp-errors"), .prefix("webapp-")],
                                   insufficientData: .unhealthy)
        #expect(HealthGate(policy: policy) == HealthGate(alarmNames: ["webapp-errors"], alarmPrefixes: ["webapp-"],
                                                         bakeSeconds: 300, insufficientData: .unhealthy))
    }
}

extension RolloutStep {
    var isWait: Bool { if case .wait = self { true } else { false } }
}
