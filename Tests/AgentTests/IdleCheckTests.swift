@testable import Agent
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

/// `Agent.idleCheck`, the read-only tick `ferry agent lambda` runs before it takes the
/// silo's lock: it says idle only where `tick()` would be idle and write nothing, and it
/// never writes (no PUT, no journal row), whatever it finds.
@Suite struct IdleCheckTests {
    typealias World = QuietAgentTests.World

    /// Applies the channel's release and reports, as the first locked invocation does.
    private func settled(_ world: World) throws -> Agent {
        let agent = try world.agent()
        #expect(try agent.idleCheck() == nil, "an agent that has not reported yet is never idle")
        #expect(agent.once().map(\.kind) == [.applied])
        #expect(agent.tick().map(\.kind) == [.idle])
        return agent
    }

    @Test func anIdleSiloIsIdleWithOnlyConditionalReads() throws {
        let world = try World()
        let agent = try settled(world)
        let rows = try agent.journal.database.query("SELECT total_changes()").first?[0].int64
        world.store.resetCounts()
        let outcomes = try #require(try agent.idleCheck())
        #expect(outcomes == [PipelineOutcome(pipeline: "webapp", kind: .idle)])
        let counts = world.store.requestCounts()
        #expect(counts[.get] == 2, "\(counts)")  // the pointer and the pin (pin interval 0), both 304
        #expect(counts.filter { $0.key != .get }.values.allSatisfy { $0 == 0 }, "\(counts)")
        #expect(try agent.journal.database.query("SELECT total_changes()").first?[0].int64 == rows)
    }

    @Test func aNewReleaseIsNotIdleAndTheCheckWritesNothing() throws {
        let world = try World()
        let agent = try settled(world)
        _ = try ReleaseFixture.publish(to: world.bucket, pipeline: "webapp", version: "1.1.0", stacks: [
            .init(name: "app", template: queueTemplate("app-v2")),
        ], channel: "canary", in: world.directory.path)
        let rows = try agent.journal.database.query("SELECT total_changes()").first?[0].int64
        world.store.resetCounts()
        #expect(try agent.idleCheck() == nil)
        #expect(world.store.requestCounts()[.put, default: 0] == 0)
        #expect(try agent.journal.database.query("SELECT total_changes()").first?[0].int64 == rows)
        #expect(try agent.journal.inFlight(pipeline: "webapp") == nil)
        // The tick under the lock then finds and applies it.
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(try agent.idleCheck()?.map(\.kind) == [.idle])
    }

    @Test func aDueHeartbeatIsNotIdle() throws {
        let world = try World()
        let agent = try settled(world)
        world.clock.advance(agent.settings.heartbeat + 1)
        world.store.resetCounts()
        #expect(try agent.idleCheck() == nil)
        #expect(world.store.requestCounts()[.put, default: 0] == 0)
        let before = try #require(try world.report())
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(try world.report()?.reportedAt != before.reportedAt, "the tick wrote the heartbeat")
        #expect(try agent.idleCheck()?.map(\.kind) == [.idle])
    }

    @Test func aSiloWaitingForItsFirstReleaseIsIdleUntilItIsPublished() throws {
        let world = try World()
        let agent = try world.agent(channel: "beta")
        #expect(agent.once().map(\.kind) == [.waiting])
        world.store.resetCounts()
        let outcomes = try #require(try agent.idleCheck())
        #expect(outcomes.map(\.kind) == [.waiting])
        #expect(outcomes.first?.error?.code == .noPointer)
        let counts = world.store.requestCounts()
        #expect(counts[.get] == 2 && counts[.list, default: 0] == 0 && counts[.put, default: 0] == 0, "\(counts)")
        // Its verdict is judged again (by the tick, under the lock) a heartbeat later.
        world.clock.advance(agent.settings.heartbeat + 1)
        #expect(try agent.idleCheck() == nil)
        #expect(agent.tick().map(\.kind) == [.waiting])
        #expect(try agent.idleCheck()?.map(\.kind) == [.waiting])
        _ = try ReleaseFixture.publish(to: world.bucket, pipeline: "webapp", version: "1.0.0", stacks: [
            .init(name: "app", template: queueTemplate("app-v1")),
        ], channel: "beta", in: world.directory.path)
        world.store.resetCounts()
        #expect(try agent.idleCheck() == nil)
        #expect(world.store.requestCounts()[.put, default: 0] == 0)
        #expect(agent.tick().map(\.kind) == [.applied])
    }

    @Test func aRemovedChannelPointerIsNotIdle() throws {
        let world = try World()
        let agent = try settled(world)
        let key = try world.bucket.layout.channel(pipeline: "webapp", channel: "canary")
        try world.store.deleteObject(bucket: world.bucket.name, key: key, versionId: nil)
        world.store.resetCounts()
        #expect(try agent.idleCheck() == nil)
        #expect(world.store.requestCounts()[.put, default: 0] == 0)
    }
}
