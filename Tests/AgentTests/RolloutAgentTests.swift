import Agent
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// A whole agent (in-memory bucket and CloudFormation) under a channel's rollout: it
/// waits, reporting `waiting` with what it runs, until its wave opens; it refuses a
/// quarantined version, even from a pin.
@Suite struct RolloutAgentTests {
    typealias World = QuietAgentTests.World
    static let waves = [WaveSelector(name: "first", silos: ["other-*"]), WaveSelector(name: "rest")]

    static func move(_ world: World, to release: ReleaseRef, rollout: Rollout?, reason: String) throws {
        let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
        let plan = try world.bucket.planMove(pipeline: "webapp", scope: .channel("canary"), to: .release(release.pointed),
                                             reason: reason, by: writer, rollout: .set(rollout))
        _ = try world.bucket.commit(plan, by: writer, now: world.clock.now())
    }

    @Test func aSiloWaitsForItsWaveThenApplies() throws {
        let world = try World()
        let agent = try world.agent()
        #expect(agent.tick().map(\.kind) == [.applied])
        let v1 = try SemVer("1.0.0"), v2 = try SemVer("1.1.0")
        let next = try ReleaseFixture.publish(to: world.bucket, pipeline: "webapp", version: "1.1.0", stacks: [
            .init(name: "app", template: queueTemplate("app-v2")),
        ], channel: nil, in: world.directory.path)

        // Wave 1 (other-*) opens; s1 is in wave 2: it keeps 1.0.0 and waits.
        try Self.move(world, to: next, rollout: Rollout(waves: Self.waves, open: 1), reason: "rollout: open wave 1")
        let waiting = try #require(agent.tick().first)
        #expect(waiting.kind == .waiting && !waiting.isProblem && waiting.error?.code == .waitingForWave)
        let report = try #require(try world.report())
        #expect(report.state == .waiting && report.applied == v1 && report.error?.code == "waitingForWave")
        #expect(report.wave == 1)
        #expect(agent.tick().map(\.kind) == [.waiting])  // idle, still waiting

        // Wave 2 opens: s1 applies 1.1.0.
        try Self.move(world, to: next, rollout: Rollout(waves: Self.waves, open: 2), reason: "rollout: open wave 2")
        #expect(agent.tick().map(\.kind) == [.applied])
        let synced = try #require(try world.report())
        #expect(synced.state == .inSync && synced.applied == v2)
    }

    @Test func aQuarantinedVersionIsNotAppliedFromAPin() throws {
        let world = try World()
        let agent = try world.agent()
        #expect(agent.tick().map(\.kind) == [.applied])
        let bad = try ReleaseFixture.publish(to: world.bucket, pipeline: "webapp", version: "1.1.0", stacks: [
            .init(name: "app", template: queueTemplate("app-v2")),
        ], channel: nil, in: world.directory.path)
        let good = try world.bucket.release(pipeline: "webapp", version: try SemVer("1.0.0"))
        // The halted, rolled-back channel: 1.0.0 everywhere, 1.1.0 quarantined.
        try Self.move(world, to: good, rollout: Rollout(waves: Self.waves, open: 2, halted: true,
                                                        quarantined: [try SemVer("1.1.0")]), reason: "rollout: halted")
        #expect(agent.tick().map(\.kind) != [.failed])
        let writer = PointerSigner(key: ReleaseFixture.oncallKey, trust: ReleaseFixture.trust)
        let pin = try world.bucket.planMove(pipeline: "webapp", scope: .silo("s1"), to: .release(bad.pointed),
                                            reason: "try the bad one", by: writer)
        _ = try world.bucket.commit(pin, by: writer, now: world.clock.now())
        let refused = try #require(agent.tick().first)
        #expect(refused.kind == .refused && refused.error?.code == .quarantined)
        let report = try #require(try world.report())
        let v1 = try SemVer("1.0.0")
        #expect(report.state == .refused && report.applied == v1)
    }
}
