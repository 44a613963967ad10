import Bucket
import Fleet
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

/// On-call's side of issue 14's brakes over an in-memory bucket: the controller signs the
/// policy's health gate into the pointer, and a pin refuses a quarantined version up
/// front unless forced with a reason.
@Suite struct HealthGateFleetTests {
    static let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
    static let oncall = PointerSigner(key: ReleaseFixture.oncallKey, trust: ReleaseFixture.trust)
    static let t0 = Timestamp.parse("2026-12-01T12:00:00Z")!
    static let stacks = [ReleaseFixture.Stack(name: "app", template: "Resources:\n  T:\n    Type: AWS::SNS::Topic\n")]

    @Test func theControllerSignsThePolicysGateIntoEveryBlockItWrites() throws {
        let directory = try TemporaryDirectory("ferry-gate")
        let bucket = ReleaseFixture.makeBucket(MemoryStore())
        _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.0.0", stacks: Self.stacks,
                                       channel: "stable", in: directory.path)
        let policy = RolloutPolicy(waves: [WaveSelector(name: "one", silos: ["a"]), WaveSelector(name: "two")], bake: 90,
                                   alarms: [.name("webapp-errors"), .prefix("webapp-p99-")], insufficientData: .wait)
        let controller = RolloutController(bucket: bucket, writer: Self.writer)
        let adopted = try #require(try controller.tick(pipeline: "webapp", channel: "stable", policy: policy,
                                                       now: Self.t0).written)
        let gate = HealthGate(alarmNames: ["webapp-errors"], alarmPrefixes: ["webapp-p99-"], bakeSeconds: 90,
                              insufficientData: .wait)
        #expect(adopted.schema == "ferry.pointer/v2.1" && adopted.rollout?.health == gate)
        _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.1.0", stacks: Self.stacks,
                                       channel: "stable", in: directory.path)
        // The move up carries the gate; the controller writes the policy's gate as it is now.
        var changed = policy
        changed.bake = 120
        let opened = try #require(try controller.tick(pipeline: "webapp", channel: "stable", policy: changed,
                                                      now: Self.t0).written)
        #expect(opened.rollout?.open == 1 && opened.rollout?.health?.bakeSeconds == 120)
    }

    /// Channel canary at 1.1.0; channel stable back at 1.0.0 by a halted rollout that
    /// quarantines 1.1.0. The folder holds the releases' files while the test runs.
    static func stableQuarantining110() throws -> (TemporaryDirectory, SharedBucket) {
        let directory = try TemporaryDirectory("ferry-gate")
        let bucket = ReleaseFixture.makeBucket(MemoryStore())
        let good = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.0.0", stacks: Self.stacks,
                                              channel: nil, in: directory.path)
        _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.1.0", stacks: Self.stacks,
                                       channel: "canary", in: directory.path)
        let block = Rollout(waves: [WaveSelector(name: "all")], open: 1, halted: true, quarantined: [try SemVer("1.1.0")])
        let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(good.pointed),
                                       reason: "rollout halted", by: Self.writer, rollout: .set(block))
        _ = try bucket.commit(plan, by: Self.writer, now: Self.t0)
        return (directory, bucket)
    }

    @Test func aPinRefusesAQuarantinedVersionUnlessForcedWithAReason() throws {
        let (directory, bucket) = try Self.stableQuarantining110()
        defer { withExtendedLifetime(directory) {} }
        try bucket.putStatus(StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", applied: try SemVer("1.0.0"),
                                          state: .inSync, reportedAt: "2026-12-01T12:00:00Z", intervalSeconds: 30))
        let onCall = OnCall(bucket: bucket)
        let bad = try SemVer("1.1.0")
        do throws(FleetError) {
            _ = try onCall.planPin(pipeline: "webapp", silo: "s1", to: .version(bad), checkingAgainst: nil,
                                   reason: "try it", by: Self.oncall)
            Issue.record("a quarantined version was pinned")
        } catch {
            #expect(error.code == .quarantined)
            #expect(error.message == "1.1.0 of webapp is quarantined by the rollout of channel stable; nothing was "
                + "written: pin a fixed version, or pass --force with a --reason (the silo's agent still refuses it "
                + "while its channel quarantines it)")
        }
        #expect(try bucket.currentPointer(pipeline: "webapp", scope: .silo("s1")) == nil)  // nothing left behind

        let forced = try onCall.planPin(pipeline: "webapp", silo: "s1", to: .version(try SemVer("1.1.0")),
                                        checkingAgainst: nil, reason: "INC-1: test the fix", by: Self.oncall, force: true)
        #expect(forced.reason == "INC-1: test the fix [forced past the quarantine of 1.1.0 by channel stable]")
        _ = try onCall.commit(forced, by: Self.oncall, now: Self.t0)
        #expect(try bucket.currentPointer(pipeline: "webapp", scope: .silo("s1"))?.0.release?.version.description == "1.1.0")

        // A silo of a channel that does not quarantine it pins it without force; a silo that
        // never reported is checked against every channel.
        try bucket.putStatus(StatusReport(pipeline: "webapp", silo: "s2", channel: "canary", applied: try SemVer("1.1.0"),
                                          state: .inSync, reportedAt: "2026-12-01T12:00:00Z", intervalSeconds: 30))
        _ = try onCall.planPin(pipeline: "webapp", silo: "s2", to: .version(try SemVer("1.1.0")), checkingAgainst: nil,
                               reason: "hold", by: Self.oncall)
        #expect(throws: FleetError.self) {
            try onCall.planPin(pipeline: "webapp", silo: "s3", to: .version(try SemVer("1.1.0")), checkingAgainst: nil,
                               reason: "new", by: Self.oncall)
        }
    }

    @Test func promotePastAQuarantineNeedsForceAndAReason() throws {
        let (directory, bucket) = try Self.stableQuarantining110()
        defer { withExtendedLifetime(directory) {} }
        try bucket.putStatus(StatusReport(pipeline: "webapp", silo: "c1", channel: "canary", target: try SemVer("1.1.0"),
                                          applied: try SemVer("1.1.0"), state: .inSync,
                                          reportedAt: Timestamp.format(Self.t0), intervalSeconds: 30))
        let onCall = OnCall(bucket: bucket)
        func promote(force: Bool, reason: String?) -> FleetError? {
            do throws(FleetError) {
                _ = try onCall.planPromote(pipeline: "webapp", from: "canary", to: "stable", reason: reason, force: force,
                                           by: Self.writer, now: Self.t0)
                return nil
            } catch {
                return error
            }
        }
        let refused = promote(force: false, reason: "go")
        #expect(refused?.code == .quarantined, "\(String(describing: refused))")
        #expect(promote(force: true, reason: nil)?.message == "1.1.0 of webapp is quarantined by the rollout of channel "
            + "stable: --force past a quarantine needs a --reason (recorded); nothing was written")
        #expect(promote(force: true, reason: "  ")?.code == .quarantined)
        let forced = try onCall.planPromote(pipeline: "webapp", from: "canary", to: "stable", reason: "alarm was noise",
                                            force: true, by: Self.writer, now: Self.t0)
        #expect(forced.move.reason.hasSuffix("[forced past the quarantine of 1.1.0]"), "\(forced.move.reason)")
    }

    @Test func ferryStatusNamesAnUnhealthySilosAlarms() throws {
        var report = Fixture.report("silo-b")
        report.health = SiloHealth(state: .unhealthy, version: try SemVer("1.2.0"), bakeStartedAt: "2026-12-01T12:00:00Z",
                                   bakeSeconds: 600, alarms: ["webapp-errors"], watched: 1,
                                   reason: "webapp-errors is ALARM: Threshold Crossed")
        var healthy = Fixture.report("silo-a")
        healthy.health = SiloHealth(state: .healthy, version: try SemVer("1.2.0"), bakeStartedAt: "2026-12-01T12:00:00Z",
                                    bakeSeconds: 600, watched: 1)
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [healthy, report])
        let text = StatusView.render(fleet, color: false)
        #expect(text.contains("\nsilo-b in-sync: unhealthy on 1.2.0: webapp-errors is ALARM: Threshold Crossed\n"), "\(text)")
        #expect(!text.contains("silo-a in-sync"))
        #expect(SiloRow(report, now: Fixture.now).health?.alarms == ["webapp-errors"])  // and in --json
    }

    @Test func aHaltByAnAlarmNotifiesTheUnhealthySiloAndItsAlarms() throws {
        let v1 = PointedRelease(version: try SemVer("1.0.0"), manifestSha256: String(repeating: "a", count: 64),
                                bundleSha256: String(repeating: "b", count: 64))
        let v2 = PointedRelease(version: try SemVer("1.1.0"), manifestSha256: String(repeating: "c", count: 64),
                                bundleSha256: String(repeating: "d", count: 64))
        func pointer(_ release: PointedRelease, serial: Int) -> Pointer {
            Pointer(pipeline: "webapp", scope: .channel("stable"), serial: serial, release: release,
                    issuedAt: "2026-12-01T12:00:00Z", expiresAt: nil, reason: "r", issuedBy: ReleaseFixture.releaseKey.id)
        }
        let halted = pointer(v1, serial: 8)
        let tick = RolloutController.Tick(step: .halt(reason: "rollout halted", rollback: v1, quarantine: v2.version),
                                          written: halted, pointer: halted)
        var unhealthy = StatusReport(pipeline: "webapp", silo: "s2", channel: "stable", target: v2.version,
                                     applied: v2.version, state: .inSync, reportedAt: "2026-12-01T12:00:00Z",
                                     intervalSeconds: 30, wave: 1)
        unhealthy.health = SiloHealth(state: .unhealthy, version: v2.version, bakeStartedAt: "2026-12-01T11:58:00Z",
                                      bakeSeconds: 600, alarms: ["webapp-errors"], watched: 1,
                                      reason: "webapp-errors is ALARM: Threshold Crossed")
        var healthy = unhealthy
        healthy.silo = "s1"
        healthy.health?.state = .healthy
        let note = try #require(RolloutNotification.of(tick, pipeline: "webapp", channel: "stable",
                                                       before: pointer(v2, serial: 7), reports: [healthy, unhealthy],
                                                       now: Self.t0))
        #expect(note.failedSilos.map(\.silo) == ["s2"])
        #expect(note.failedSilos.first?.code == "unhealthy" && note.failedSilos.first?.resource == "webapp-errors")
        #expect(note.failedSilos.first?.reason == "webapp-errors is ALARM: Threshold Crossed")
    }
}
