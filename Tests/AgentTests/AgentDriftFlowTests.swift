import Agent
import Bucket
import Foundation
import Logging
import Manifest
import MemoryStacks
import MemoryStore
import TestSupport
import Testing

/// The agent's drift checks offline: when they run (on the agent's clock), what the report
/// says, what a revert asks CloudFormation for. `MemoryStacks` does not model drift, so a
/// double in front of it (`DriftingStacks`) answers the three drift calls from drift the
/// test sets and takes a drift-aware change set as reverting it. The same flow runs against
/// moto behind the drift stand-in in IntegrationTests/AgentDriftTests.
@Suite struct AgentDriftFlowTests {
    /// MemoryStacks, plus drift detection answered from `drift`.
    final class DriftingStacks: StackService, @unchecked Sendable {
        let base: MemoryStacks
        var drift: [String: [ResourceDrift]] = [:]
        /// Detections started, by stack; each is in progress at its first status call.
        var detected: [String] = []
        private var detections: [String: (stack: String, polls: Int, found: [ResourceDrift])] = [:]
        var driftAware: [ChangeSetRequest] = []
        /// Set: the next detection fails as CloudFormation says when it cannot check a stack.
        var failNext: String?

        init(_ base: MemoryStacks) { self.base = base }

        func detectDrift(stack: String) throws -> String {
            detected.append(stack)
            let id = "d-\(detected.count)"
            detections[id] = (stack, 0, drift[stack] ?? [])
            return id
        }

        func driftDetection(id: String) throws -> DriftDetection {
            guard var detection = detections[id] else { throw AgentError(.service, "no detection \(id)", next: .transient) }
            detection.polls += 1
            detections[id] = detection
            if detection.polls == 1 { return DriftDetection(status: .inProgress) }
            if let reason = failNext {
                failNext = nil
                return DriftDetection(status: .failed, stackDriftStatus: "UNKNOWN", reason: reason)
            }
            return DriftDetection(status: .complete, stackDriftStatus: detection.found.isEmpty ? "IN_SYNC" : "DRIFTED")
        }

        func resourceDrifts(stack: String) throws -> [ResourceDrift] {
            detections.values.filter { $0.stack == stack }.max { $0.polls < $1.polls }?.found ?? []
        }

        func createChangeSet(_ request: ChangeSetRequest) throws -> String? {
            if request.revertDrift {
                driftAware.append(request)
                drift[request.stackName] = nil
            }
            return try base.createChangeSet(request)
        }

        func describeStack(name: String) throws -> ObservedStack? { try base.describeStack(name: name) }
        func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet? {
            try base.describeChangeSet(stack: stack, name: name)
        }
        func executeChangeSet(stack: String, name: String) throws { try base.executeChangeSet(stack: stack, name: name) }
        func deleteChangeSet(stack: String, name: String) throws { try base.deleteChangeSet(stack: stack, name: name) }
        func listChangeSets(stack: String) throws -> [ObservedChangeSet] { try base.listChangeSets(stack: stack) }
        func deployedTemplate(stack: String) throws -> String? { try base.deployedTemplate(stack: stack) }
        func deleteStack(name: String) throws { try base.deleteStack(name: name) }
        func events(stack: String, since: String?) throws -> [StackEvent] { try base.events(stack: stack, since: since) }
    }

    final class World {
        let directory: TemporaryDirectory
        let store = MemoryStore()
        let bucket: SharedBucket
        let clock = ManualClock()
        let stacks: DriftingStacks

        init() throws {
            directory = try TemporaryDirectory("ferry-drift")
            bucket = ReleaseFixture.makeBucket(store)
            stacks = DriftingStacks(MemoryStacks(clock: clock))
            _ = try ReleaseFixture.publish(to: bucket, pipeline: "webapp", version: "1.0.0", stacks: [
                .init(name: "app", template: queueTemplate("app-v1")),
                .init(name: "data", template: queueTemplate("data-v1")),
            ], channel: "canary", in: directory.path)
        }

        func agent(drift: String, interval: String = "1h", exclude: [String]? = nil) throws -> Agent {
            let settings = try siloSettings(bucket: bucket.name, stateDirectory: directory.url("state")) { flags in
                flags.pinInterval = nil
                flags.stackPrefix = "ferry-"
                flags.drift = drift
                flags.driftInterval = interval
                flags.driftExclude = exclude
            }
            return try siloAgent(settings, bucket: bucket, stacks: stacks, clock: clock,
                                 logger: Logger(label: "drift") { _ in SwiftLogNoOpLogHandler() })
        }

        func drift() throws -> StatusReport.Drift? { try bucket.status(pipeline: "webapp", silo: "s1")?.drift }
    }

    static let queue = ResourceDrift(stack: "ferry-app", logicalResourceId: "Queue", resourceType: "AWS::SQS::Queue",
                                     status: "MODIFIED", properties: ["/Properties/VisibilityTimeout NOT_EQUAL"])

    @Test func detectionRunsAfterTheApplyThenOnlyOnceTheIntervalHasPassed() throws {
        let world = try World()
        world.stacks.drift["ferry-app"] = [Self.queue]
        let agent = try world.agent(drift: "report", interval: "1h")
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(world.stacks.detected.sorted() == ["ferry-app", "ferry-data"])
        let first = try #require(try world.drift())
        #expect(first.resources.map(\.resource) == ["Queue"] && first.resources.first?.difference == "MODIFIED")
        #expect(first.resources.first?.properties == ["/Properties/VisibilityTimeout NOT_EQUAL"])

        world.clock.advance(3000)
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(world.stacks.detected.count == 2)  // not due yet

        world.stacks.drift["ferry-app"] = nil  // someone put it back by hand
        world.clock.advance(600)
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(world.stacks.detected.count == 4)
        let second = try #require(try world.drift())
        #expect(second.resources.isEmpty && second.checkedAt > first.checkedAt)
        #expect(world.stacks.driftAware.isEmpty)  // report never reverts
    }

    /// `ferry agent lambda` runs a tick only when `idleCheck` says it is not idle: a drift
    /// check that is due must make it say so, or a Lambda runner would check only at heartbeats.
    @Test func aDueDriftCheckIsNotIdleForTheLambdaRunner() throws {
        let world = try World()
        let agent = try world.agent(drift: "report", interval: "10m")
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(world.stacks.detected.count == 2)
        world.clock.advance(300)
        #expect(try agent.idleCheck()?.map(\.kind) == [.idle])
        world.clock.advance(300)
        #expect(try agent.idleCheck() == nil)
        #expect(agent.settings.heartbeat > 600, "the heartbeat is not what is due")
        #expect(world.stacks.detected.count == 2, "the check itself detects nothing")
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(world.stacks.detected.count == 4)
        #expect(try agent.idleCheck()?.map(\.kind) == [.idle])
    }

    @Test func revertReappliesTheAppliedReleaseToTheDriftedStackOnly() throws {
        let world = try World()
        world.stacks.drift["ferry-app"] = [Self.queue]
        let agent = try world.agent(drift: "revert")
        #expect(agent.tick().map(\.kind) == [.applied])
        let request = try #require(world.stacks.driftAware.first)
        #expect(world.stacks.driftAware.count == 1)
        #expect(request.stackName == "ferry-app" && request.type == .update && request.revertDrift)
        #expect(request.template == .body(queueTemplate("app-v1")))  // the release's own template
        #expect(request.description == "ferry reverting drift: re-applying webapp 1.0.0 (serial 1)")
        let drift = try #require(try world.drift())
        #expect(drift.mode == "revert" && drift.resources.count == 1 && drift.revertedAt != nil && drift.error == nil)
    }

    @Test func aFailedDetectionIsReportedAndTheTickGoesOn() throws {
        let world = try World()
        world.stacks.failNext = "Failed to detect drift on resource [Queue]: access denied"
        let agent = try world.agent(drift: "revert", interval: "0")
        #expect(agent.tick().map(\.kind) == [.applied])
        let drift = try #require(try world.drift())
        #expect(drift.error?.contains("access denied") == true)
        #expect(drift.resources.isEmpty && world.stacks.driftAware.isEmpty)
        // The next reconcile (interval 0) tries again, and succeeds.
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(try world.drift()?.error == nil)
    }

    @Test func offDetectsNothing() throws {
        let world = try World()
        world.stacks.drift["ferry-app"] = [Self.queue]
        let agent = try world.agent(drift: "off", interval: "0")
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(world.stacks.detected.isEmpty)
        #expect(try world.drift() == nil)
    }
}
