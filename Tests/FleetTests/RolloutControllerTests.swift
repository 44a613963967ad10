import Bucket
import Fleet
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

/// The controller over an in-memory bucket: it adopts the policy, opens waves as signed
/// moves, halts with a rollback and a quarantine, and every step is a pointer version.
@Suite struct RolloutControllerTests {
    static let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
    static let waves = [WaveSelector(name: "one", silos: ["a"]), WaveSelector(name: "two")]
    static let policy = RolloutPolicy(waves: waves, bake: 600)
    static let t0 = Timestamp.parse("2026-12-01T12:00:00Z")!

    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: String(repeating: "a", count: 64),
                       bundleSha256: String(repeating: version == "1.0.0" ? "b" : "c", count: 64))
    }

    static func promote(_ bucket: SharedBucket, _ version: String) throws {
        let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(release(version)),
                                       reason: "promote \(version)", by: writer)
        _ = try bucket.commit(plan, by: writer, now: t0)
    }

    static func report(_ bucket: SharedBucket, _ silo: String, wave: Int, _ state: StatusReport.State, applied: String,
                       at: Date) throws {
        let failed = state == .failed
        try bucket.putStatus(StatusReport(pipeline: "webapp", silo: silo, channel: "stable", target: try SemVer("1.1.0"),
                                          applied: try SemVer(applied), state: state,
                                          error: failed ? .init(code: "stackFailed", message: "boom") : nil,
                                          reportedAt: Timestamp.format(at), finishedAt: Timestamp.format(at),
                                          intervalSeconds: 30, wave: wave))
    }

    @Test func opensWavesThenHaltsOnAFailure() throws {
        let bucket = ReleaseFixture.makeBucket(MemoryStore())
        let controller = RolloutController(bucket: bucket, writer: Self.writer)
        try Self.promote(bucket, "1.0.0")
        let adopted = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy, now: Self.t0)
        #expect(adopted.written?.rollout?.open == 2 && adopted.written?.serial == 2)
        try Self.promote(bucket, "1.1.0")  // a move up: the rollout starts at wave 0
        let first = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy, now: Self.t0)
        #expect(first.step == .open(wave: 0, reason: "rollout 1.1.0: open wave 1 of 2 'one'"))
        #expect(first.written?.rollout?.open == 1 && first.written?.serial == 4)

        // Silo a applied and bakes; b (wave two) still waits.
        try Self.report(bucket, "a", wave: 0, .inSync, applied: "1.1.0", at: Self.t0)
        try Self.report(bucket, "b", wave: 1, .waiting, applied: "1.0.0", at: Self.t0)
        let baking = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy,
                                         now: Self.t0.addingTimeInterval(60))
        #expect(baking.step == .wait("a (wave 'one') bakes: 60s of 600s") && baking.written == nil)
        let second = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy,
                                         now: Self.t0.addingTimeInterval(600))
        #expect(second.written?.rollout?.open == 2)

        // b fails the release: halt, back to 1.0.0 everywhere, 1.1.0 quarantined.
        try Self.report(bucket, "b", wave: 1, .failed, applied: "1.0.0", at: Self.t0.addingTimeInterval(700))
        let halt = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy,
                                       now: Self.t0.addingTimeInterval(720))
        let halted = try #require(halt.written)
        #expect(halted.release == Self.release("1.0.0"))
        let bad = try SemVer("1.1.0")
        #expect(halted.rollout?.halted == true && halted.rollout?.quarantined == [bad])
        #expect(halted.reason == "rollout halted: 1 of 1 silos of wave 'two' failed 1.1.0 (tolerance 0); "
            + "rolled back to 1.0.0; 1.1.0 quarantined")
        let after = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy,
                                        now: Self.t0.addingTimeInterval(800))
        #expect(after.step == .stopped("the rollout of 1.0.0 is halted") && after.written == nil)

        // The quarantined version cannot be promoted again without force.
        #expect(throws: BucketError.self) { try Self.promote(bucket, "1.1.0") }
        // Every step is a pointer version (what `ferry history` reads).
        #expect(try bucket.currentPointer(pipeline: "webapp", scope: .channel("stable"))?.0.serial == 6)
    }

    @Test func pauseResumeAndAbort() throws {
        let bucket = ReleaseFixture.makeBucket(MemoryStore())
        let controller = RolloutController(bucket: bucket, writer: Self.writer)
        try Self.promote(bucket, "1.0.0")
        #expect(throws: FleetError.self) {
            try controller.run(.pause, pipeline: "webapp", channel: "stable", reason: "x", now: Self.t0)
        }
        _ = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy, now: Self.t0)
        try Self.promote(bucket, "1.1.0")
        let paused = try controller.run(.pause, pipeline: "webapp", channel: "stable", reason: "look at a", now: Self.t0)
        #expect(paused.rollout?.halted == true && paused.reason == "rollout pause: look at a")
        let held = try controller.tick(pipeline: "webapp", channel: "stable", policy: Self.policy, now: Self.t0)
        #expect(held.written == nil)
        let resumed = try controller.run(.resume, pipeline: "webapp", channel: "stable", reason: "fine", now: Self.t0)
        #expect(resumed.rollout?.halted == false)
        let aborted = try controller.run(.abort, pipeline: "webapp", channel: "stable", reason: "no", now: Self.t0)
        #expect(aborted.release == Self.release("1.0.0") && aborted.rollout?.halted == true && aborted.rollout?.open == 2)
    }
}
