import AWS
import Agent
import Foundation
import Manifest
import MemoryStacks
import TestSupport
import Testing

/// `MemoryStacks` plays what the agent depends on in CloudFormation. The scenario table
/// is the one `IntegrationTests.StackScenarioTests` runs against moto and the stand-in.
@Suite struct MemoryStacksTests {
    @Test(arguments: StackScenarios.all)
    func scenarioTraceMatchesMoto(_ scenario: StackScenario) throws {
        let clock = ManualClock()
        // moto's flavour (a no-change change set with parameters is refused at once), with
        // latencies, so the trace also shows that looks before the end see "in progress".
        let cloud = MemoryStacks(clock: clock, latency: .init(changeSet: 1, create: 30, update: 20, delete: 10,
                                                             rollback: 15), flavour: .moto)
        let trace = try scenario.trace(on: cloud, prefix: "t", pause: { clock.advance(1) })
        #expect(trace == scenario.expected)
    }

    @Test func anOperationTakesItsLatencyInSimulatedTime() throws {
        let clock = ManualClock()
        let cloud = MemoryStacks(clock: clock, latency: .init(changeSet: 2, create: 30))
        _ = try cloud.createChangeSet(request("app", "c1", .create, "Resources: {}"))
        #expect(try cloud.describeChangeSet(stack: "app", name: "c1")?.status == .createPending)
        #expect(throws: AgentError.self) { try cloud.executeChangeSet(stack: "app", name: "c1") }  // not computed yet
        clock.advance(2)
        #expect(try cloud.describeChangeSet(stack: "app", name: "c1")?.executionStatus == .available)
        try cloud.executeChangeSet(stack: "app", name: "c1")
        clock.advance(29)
        #expect(try cloud.describeStack(name: "app")?.status == .createInProgress)
        #expect(try cloud.deployedTemplate(stack: "app") == nil)
        clock.advance(1)
        #expect(try cloud.describeStack(name: "app")?.status == .createComplete)
        #expect(try cloud.deployedTemplate(stack: "app") == "Resources: {}")
        let events = try cloud.events(stack: "app", since: nil)
        #expect(events.map(\.status) == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS", "REVIEW_IN_PROGRESS"])
        #expect(events.first?.time == Timestamp.format(Date(timeIntervalSince1970: 1_714_564_800 + 32)))
    }

    @Test func recentEventsGiveTheRunningOperationThenOnlyWhatIsNew() throws {
        let clock = ManualClock()
        let cloud = MemoryStacks(clock: clock, latency: .init(create: 10, update: 10))
        try deploy(cloud, "app", "c1", .create, "Resources: {A: 1}")
        clock.advance(10)
        #expect(try cloud.describeStack(name: "app")?.status == .createComplete)
        _ = try cloud.createChangeSet(request("app", "c2", .update, "Resources: {A: 2}"))
        try cloud.executeChangeSet(stack: "app", name: "c2")
        // The first look: the operation running now, not the stack's whole history.
        #expect(try cloud.recentEvents(stack: "app").map(\.status) == ["UPDATE_IN_PROGRESS"])
        #expect(try cloud.recentEvents(stack: "app").isEmpty)
        clock.advance(10)
        #expect(try cloud.recentEvents(stack: "app").map(\.status) == ["UPDATE_COMPLETE"])
    }

    @Test func aRuleWhoseRollbackFailsLeavesUpdateRollbackFailed() throws {
        let clock = ManualClock()
        let cloud = MemoryStacks(clock: clock)
        try deploy(cloud, "app", "c1", .create, "Resources: {A: 1}")
        cloud.inject(.init(stack: "app", resource: "Table", reason: "Table is in use", rollbackFails: true, times: 1))
        try deploy(cloud, "app", "c2", .update, "Resources: {A: 2}")
        #expect(try cloud.describeStack(name: "app")?.status == .updateRollbackFailed)
        #expect(try cloud.describeChangeSet(stack: "app", name: "c2")?.executionStatus == .executeFailed)
        #expect(try cloud.deployedTemplate(stack: "app") == "Resources: {A: 1}")
        let failure = firstFailure(in: try cloud.events(stack: "app", since: nil), stack: "app")
        #expect(failure?.resource == "app/Table" && failure?.reason == "Table is in use")
        // A stack in UPDATE_ROLLBACK_FAILED cannot be updated; the rule was used up.
        #expect {
            _ = try cloud.createChangeSet(request("app", "c3", .update, "Resources: {A: 3}"))
        } throws: { error in
            (error as? AgentError)?.message.contains("is in UPDATE_ROLLBACK_FAILED state and can not be updated") == true
        }
    }

    @Test func awsDeletesOtherChangeSetsOnExecutionAndMotoKeepsThem() throws {
        for (flavour, kept) in [(MemoryStacks.Flavour.aws, ["c2"]), (.moto, ["c1", "c2", "c3"])] {
            let cloud = MemoryStacks(clock: ManualClock(), flavour: flavour)
            try deploy(cloud, "app", "c1", .create, "Resources: {A: 1}")
            _ = try cloud.createChangeSet(request("app", "c3", .update, "Resources: {A: 3}"))
            try deploy(cloud, "app", "c2", .update, "Resources: {A: 2}")
            #expect(cloud.changeSetNames("app") == kept, "\(flavour)")
        }
    }

    @Test func refusalsAreTheOnesCloudFormationGives() throws {
        let cloud = MemoryStacks(clock: ManualClock())
        try deploy(cloud, "app", "c1", .create, "Resources: {A: 1}")
        let cases: [(ChangeSetRequest, String)] = [
            (request("app", "c1", .update, "Resources: {A: 2}"), "AlreadyExistsException: ChangeSet c1 already exists"),
            (request("app", "c2", .create, "Resources: {A: 2}"), "AlreadyExistsException: Stack [app] already exists"),
            (request("nope", "c1", .update, "Resources: {A: 2}"), "Stack with id nope does not exist"),
            (request("app", "1-bad_name", .update, "Resources: {A: 2}"), "failed to satisfy constraint"),
        ]
        for (request, expected) in cases {
            #expect {
                _ = try cloud.createChangeSet(request)
            } throws: { error in
                guard let error = error as? AgentError else { return false }
                return error.code == .rejected && error.message.contains(expected)
            }
        }
        #expect(cloud.changeSetNames("app") == ["c1"])  // nothing left behind
        #expect(cloud.requests["CreateChangeSet"] == 5)
    }

    @Test func manyThreadsAtOnceLoseNothing() throws {
        let cloud = MemoryStacks(clock: ManualClock())
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            _ = try? deploy(cloud, "stack\(index)", "c1", .create, "Resources: {A: \(index)}")
        }
        let deployed = (0..<64).map { cloud.deployed("stack\($0)")?.template }
        #expect(deployed == (0..<64).map { "Resources: {A: \($0)}" })
        #expect(cloud.requests["ExecuteChangeSet"] == 64)
    }

    private func request(_ stack: String, _ name: String, _ type: ChangeSetType, _ body: String,
                         parameters: [String: String] = [:]) -> ChangeSetRequest {
        ChangeSetRequest(stackName: stack, changeSetName: name, type: type, template: .body(body),
                         parameters: parameters, tags: [:], capabilities: [], description: "test")
    }

    private func deploy(_ cloud: MemoryStacks, _ stack: String, _ name: String, _ type: ChangeSetType,
                        _ body: String) throws {
        _ = try cloud.createChangeSet(request(stack, name, type, body))
        try cloud.executeChangeSet(stack: stack, name: name)
    }
}
