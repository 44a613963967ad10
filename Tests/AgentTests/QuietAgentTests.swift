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
            var flags = AgentSettings.Layer()
            flags.bucket = bucketName ?? bucket.name
            flags.pipelines = [pipeline]
            flags.channel = channel
            flags.silo = "s1"
            flags.trust = ["/unused.pub=builder"]
            flags.stateDirectory = directory.url("state")
            flags.pinInterval = "0"
            let settings = try AgentSettings.resolve(flags: flags)
            try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
            let journal = try Journal(stateDirectory: settings.stateDirectory, clock: { [clock] in clock.now() })
            let target = SharedBucket(store: store, name: settings.bucket, layout: bucket.layout)
            let stacks = MemoryStacks(clock: clock)
            let logger = Logger(label: "quiet") { [log] _ in
                LogLineHandler(format: .json, level: .debug, output: { line in log.append(line) })
            }
            return Agent(settings: settings, silo: "s1", trust: ReleaseFixture.trust, journal: journal, bucket: target,
                         store: ReleaseStore(bucket: target, trust: ReleaseFixture.trust,
                                             root: settings.stateDirectory + "/releases", limits: settings.limits),
                         reporter: StatusReporter(bucket: target, journal: journal, silo: "s1", settings: settings),
                         stacks: { _ in stacks },
                         artifacts: SiloArtifacts(sharedBucket: target.name, scratch: settings.stateDirectory + "/artifacts",
                                                  fetch: SiloArtifacts.fetching(from: target),
                                                  destination: { _ throws(AgentError) in nil }),
                         clock: clock, logger: logger,
                         stop: stop)
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
