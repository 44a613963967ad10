import Agent
import Bucket
import Foundation
import Logging
import Manifest
import MemoryStacks
import MemoryStore
import TestSupport
import Testing

/// Issue 13 offline: the agent over an in-memory bucket (MemoryStore answers as S3 does:
/// `NoSuchBucket`, `AccessDenied`) and in-memory CloudFormation. The same cases run on
/// moto with the real binary in IntegrationTests/AgentQuietTests.
@Suite struct QuietAgentTests {
    final class World {
        let directory: TemporaryDirectory
        let store = MemoryStore()
        let bucket: SharedBucket
        let clock = ManualClock()
        let log = LogCapture()

        init() throws {
            directory = try TemporaryDirectory("ferry-quiet")
            bucket = ReleaseFixture.makeBucket(store)
            _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.0.0", stacks: [
                .init(name: "app", template: queueTemplate("app-v1")),
            ], channel: "canary", in: directory.path)
        }

        /// An agent of silo `s1` following `channel` of `pipeline` in `bucketName` (this bucket by default).
        func agent(pipeline: String = "webapp", channel: String = "canary", bucketName: String? = nil,
                   stop: StopSignal = StopSignal()) throws -> Agent {
            let settings = try siloSettings(bucket: bucketName ?? bucket.name, stateDirectory: directory.url("state"),
                                            pipeline: pipeline, channel: channel)
            let target = SharedBucket(store: store, name: settings.bucket, layout: bucket.layout)
            return try siloAgent(settings, bucket: target, stacks: MemoryStacks(clock: clock), clock: clock,
                                 logger: capturingLogger("quiet", into: log), stop: stop)
        }

        func report(_ pipeline: String = "webapp") throws -> StatusReport? {
            try bucket.status(pipeline: pipeline, silo: "s1")
        }
    }

    @Test func aBucketThatDoesNotExistIsMisconfiguredEveryTickAndWritesNothing() throws {
        let world = try World()
        let agent = try world.agent(bucketName: "ferry-no-such-bucket")
        world.store.resetCounts()
        for _ in 0..<2 {
            let outcome = try #require(agent.tick().first)
            #expect(outcome.kind == .misconfigured && outcome.isProblem && outcome.error?.code == .noSuchBucket)
        }
        #expect(world.store.requestCounts()[.put, default: 0] == 0)
        #expect(world.log.lines.filter { $0.contains("\"code\":\"noSuchBucket\"") }.count == 2)
    }

    @Test func aMistypedPipelineIsReportedMisconfigured() throws {
        let world = try World()
        let outcome = try #require(try world.agent(pipeline: "webap").tick().first)
        #expect(outcome.kind == .misconfigured && outcome.error?.code == .noSuchPipeline)
        #expect(outcome.error?.message.hasSuffix("the bucket has releases of webapp") == true)
        let report = try #require(try world.report("webap"))
        #expect(report.state == .misconfigured && report.error?.code == "noSuchPipeline")
    }

    @Test func aDeniedReadIsMisconfiguredNeverIdle() throws {
        let world = try World()
        world.store.deny(bucket: world.bucket.name, prefix: "ferry/channels/")
        let outcome = try #require(try world.agent().tick().first)
        #expect(outcome.kind == .misconfigured && outcome.isProblem && outcome.error?.code == .accessDenied)
        #expect(try world.report()?.state == .misconfigured)
    }

    @Test func anUnpublishedChannelWaitsFromTheFirstTickThenAppliesTheFirstRelease() throws {
        let world = try World()
        let agent = try world.agent(channel: "stable")
        let first = try #require(agent.tick().first)
        #expect(first.kind == .waiting && !first.isProblem && first.error?.code == .noPointer)
        #expect(try world.report()?.state == .waiting)
        world.store.resetCounts()
        #expect(agent.tick().map(\.kind) == [.waiting])
        #expect(world.store.requestCounts().values.reduce(0, +) == 2)  // the pin and the pointer: no listing

        let release = try world.bucket.release(pipeline: "webapp", version: try SemVer("1.0.0"))
        _ = try ReleaseFixture.move(world.bucket, pipeline: "webapp", channel: "stable", to: release, reason: "promote")
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(try world.report()?.state == .inSync)
    }

    @Test func aStopReportsStoppedAndTheNextStartReportsAgain() throws {
        let world = try World()
        let stop = StopSignal()
        var agent: Agent? = try world.agent(stop: stop)
        #expect(agent?.once().map(\.kind) == [.applied])
        stop.request(because: "SIGTERM")
        agent?.reportStopped()
        let stopped = try #require(try world.report())
        let v1 = try SemVer("1.0.0")
        #expect(stopped.state == .stopped && stopped.applied == v1)
        agent = nil
        #expect(try world.agent().tick().map(\.kind) == [.idle])
        #expect(try world.report()?.state == .inSync)
    }
}
