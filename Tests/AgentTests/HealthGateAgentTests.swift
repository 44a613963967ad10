import Agent
import AWS
import Bucket
import Foundation
import Logging
import Manifest
import MemoryStacks
import MemoryStore
import TestSupport
import Testing

/// A whole agent (in-memory bucket, CloudFormation and CloudWatch) under a channel's
/// health gate: the alarms go to CloudFormation as rollback triggers, the agent watches
/// them for the bake and reports `baking`, then `healthy` or `unhealthy` naming the alarm.
/// The same alarm behaviour runs on moto in IntegrationTests/HealthGateMotoTests.
@Suite struct HealthGateAgentTests {
    final class World {
        let directory: TemporaryDirectory
        let store = MemoryStore()
        let bucket: SharedBucket
        let clock = ManualClock()
        let log = LogCapture()
        let stacks: MemoryStacks
        let alarms = MemoryAlarms(account: "111122223333")

        init() throws {
            directory = try TemporaryDirectory("ferry-health")
            stacks = MemoryStacks(clock: clock)
            bucket = ReleaseFixture.makeBucket(store)
            _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.0.0", stacks: [
                .init(name: "app", template: queueTemplate("app-v1")),
            ], channel: "canary", in: directory.path)
        }

        func agent(withAlarms: Bool = true) throws -> Agent {
            let settings = try siloSettings(bucket: bucket.name, stateDirectory: directory.url("state"))
            return try siloAgent(settings, bucket: bucket, stacks: stacks, clock: clock,
                                 logger: capturingLogger("health", into: log), alarms: withAlarms ? alarms : nil)
        }

        func report() throws -> StatusReport? { try bucket.status(pipeline: "webapp", silo: "s1") }

        /// Publishes 1.1.0 and opens the channel's one wave on it under `gate`.
        func openWithGate(_ gate: HealthGate) throws {
            let next = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.1.0", stacks: [
                .init(name: "app", template: queueTemplate("app-v2")),
            ], channel: nil, in: directory.path)
            let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
            let block = Rollout(waves: [WaveSelector(name: "all")], open: 1, health: gate)
            let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("canary"), to: .release(next.pointed),
                                           reason: "rollout: open wave 1", by: writer, rollout: .set(block))
            _ = try bucket.commit(plan, by: writer, now: clock.now())
        }
    }

    static let gate = HealthGate(alarmNames: ["webapp-errors"], alarmPrefixes: ["webapp-p99-"], bakeSeconds: 600)
    static let v2 = try! SemVer("1.1.0")

    @Test func passesTriggersBakesAndReportsHealthy() throws {
        let world = try World()
        let agent = try world.agent()
        #expect(agent.tick().map(\.kind) == [.applied])
        // Without a gate: no trigger, no health, no CloudWatch call.
        #expect(world.stacks.rollbackTriggers("app") == nil && world.alarms.describeCalls == 0)
        #expect(try world.report()?.health == nil)
        world.alarms.put("webapp-errors")
        world.alarms.put("webapp-p99-latency", kind: .composite)
        world.alarms.put("other-alarm")
        world.alarms.set("webapp-errors", .ok)
        world.alarms.set("webapp-p99-latency", .ok)
        world.alarms.set("other-alarm", .alarm)
        try world.openWithGate(Self.gate)

        #expect(agent.tick().map(\.kind) == [.applied])
        let triggers = try #require(world.stacks.rollbackTriggers("app"))
        #expect(triggers == RollbackTriggers(alarmArns: [
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:webapp-errors",
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:webapp-p99-latency"], monitoringMinutes: 10))
        let baking = try #require(try world.report())
        #expect(baking.state == .inSync && baking.applied == Self.v2)
        #expect(baking.health?.state == .baking && baking.health?.watched == 2 && baking.health?.version == Self.v2)

        world.clock.advance(599)
        // The Lambda runner's read-only check: a bake under way needs a tick (it watches the alarms).
        #expect(try agent.idleCheck() == nil)
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(try world.report()?.health?.state == .baking)
        world.clock.advance(1)
        _ = agent.tick()
        let healthy = try #require(try world.report()?.health)
        #expect(healthy.state == .healthy && healthy.alarms.isEmpty)
        #expect(try agent.idleCheck()?.map(\.kind) == [.idle], "a final verdict needs no tick")
        // A final verdict: later ticks ask CloudWatch nothing more, whatever the alarms do.
        let calls = world.alarms.describeCalls
        world.alarms.set("webapp-errors", .alarm)
        world.clock.advance(60)
        _ = agent.tick()
        #expect(world.alarms.describeCalls == calls)
        #expect(try world.report()?.health?.state == .healthy)
    }

    /// A silo that applied 1.0.0, then the gated release (one alarm, OK): baking.
    static func bakingUnderGate() throws -> (World, Agent) {
        let world = try World()
        #expect(try world.agent().tick().map(\.kind) == [.applied])
        world.alarms.put("webapp-errors")
        world.alarms.set("webapp-errors", .ok)
        try world.openWithGate(Self.gate)
        let agent = try world.agent()
        #expect(agent.tick().map(\.kind) == [.applied])
        return (world, agent)
    }

    @Test func anAlarmDuringTheBakeIsUnhealthyNamingItEvenAfterARestart() throws {
        let (world, agent) = try Self.bakingUnderGate()
        world.clock.advance(120)
        world.alarms.set("webapp-errors", .alarm, reason: "Threshold Crossed: 3 errors")
        _ = agent.tick()
        let report = try #require(try world.report())
        #expect(report.state == .inSync && report.health?.state == .unhealthy)
        #expect(report.health?.alarms == ["webapp-errors"])
        #expect(report.health?.reason == "webapp-errors is ALARM: Threshold Crossed: 3 errors")
        #expect(world.log.lines.contains { $0.contains("\"health\":\"unhealthy\"") })

        // The alarm clears and the bake ends; a restarted agent still reports unhealthy
        // (the verdict is read back from the journal's last report).
        world.alarms.set("webapp-errors", .ok)
        world.clock.advance(3600)
        let restarted = try world.agent()
        _ = restarted.tick()
        #expect(try world.report()?.health?.state == .unhealthy)
    }

    @Test func anUnreadableCloudWatchKeepsTheSiloBaking() throws {
        let (world, agent) = try Self.bakingUnderGate()
        world.alarms.failing = true
        world.clock.advance(3600)
        _ = agent.tick()
        #expect(try world.report()?.health?.state == .baking)
        world.alarms.failing = false
        _ = agent.tick()
        #expect(try world.report()?.health?.state == .healthy)
    }

    @Test func aChangeSetWaitsWhileTheAlarmsCannotBeResolved() throws {
        let world = try World()
        #expect(try world.agent().tick().map(\.kind) == [.applied])
        world.alarms.put("webapp-errors")
        try world.openWithGate(Self.gate)
        world.alarms.failing = true
        let agent = try world.agent()
        let outcome = try #require(agent.tick().first)
        #expect(outcome.kind == .suspended && outcome.error?.next == .transient, "\(outcome)")
        #expect(world.stacks.deployed("app")?.template.contains("app-v1") == true)  // nothing moved yet
        world.alarms.failing = false
        world.clock.advance(60)
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(world.stacks.rollbackTriggers("app")?.alarmArns.count == 1)
    }

    @Test func anAgentWithoutAnAlarmSourceReportsNoHealth() throws {
        let world = try World()
        world.alarms.put("webapp-errors")
        world.alarms.set("webapp-errors", .ok)
        let agent = try world.agent(withAlarms: false)
        #expect(agent.tick().map(\.kind) == [.applied])
        try world.openWithGate(Self.gate)
        #expect(agent.tick().map(\.kind) == [.applied])
        world.clock.advance(3600)
        _ = agent.tick()
        // It cannot judge: no triggers, no health (the controller waits on it).
        let report = try #require(try world.report())
        #expect(report.applied == Self.v2 && report.health == nil)
        #expect(world.stacks.rollbackTriggers("app") == nil && world.alarms.describeCalls == 0)
    }
}
