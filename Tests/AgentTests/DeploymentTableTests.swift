import AWS
import Agent
import Foundation
import Manifest
import Testing

/// The deploy state machine, one stage at a time: each case builds a `Deployment`
/// directly in a stage, feeds it one event and compares the actions it returns.
@Suite struct DeploymentTableTests {
    let plan: DeployPlan
    let spec: StackSpec
    let name: String
    let now = Date(timeIntervalSince1970: 1_714_564_800)

    init() throws {
        let silo = try Silo()
        plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("app-v1"))])
        spec = plan.stacks[0].spec
        name = plan.changeSetName(for: spec, attempt: "a1")
    }

    func state() -> DeploymentState { DeploymentState(plan: plan, attempt: "a1", startedAt: "2024-05-01T12:00:00Z") }

    func call(_ request: StackCall.Request) -> StackCall { StackCall(stack: "app", region: nil, request: request) }

    func step(_ step: String, _ phase: StepPhase, _ detail: String, stack: String? = "app") -> Action {
        .record(.step(stack: stack, step: step, phase: phase, detail: detail))
    }

    @Test func anAbsentStackGetsACreateChangeSetNamedForTheAttempt() {
        var machine = Deployment(state: state(), stage: .awaiting(call(.observe)))
        #expect(machine.observed(stack: nil, changeSets: [], now: now) == [
            step("create-change-set", .begin, "\(name) (CREATE)"),
            .perform(call(.createChangeSet(name: name, type: .create, spec: spec)), after: 0),
        ])
        #expect(name.hasSuffix("-a1"))
    }

    @Test func aStackThatRunsTheSpecIsSkipped() {
        var machine = Deployment(state: state(), stage: .awaiting(call(.observe)))
        let running = ObservedStack(name: "app", status: .updateComplete, templateSha256: spec.templateSha256)
        let actions = machine.observed(stack: running, changeSets: [], now: now)
        #expect(actions.first == step("stack", .end, "unchanged: skipped: already applied and UPDATE_COMPLETE"))
        #expect(actions.last == .finish(.applied(changed: [], unchanged: ["app"])))
        #expect(machine.stage == .done)
    }

    @Test func aCreatedChangeSetIsAwaitedAndNoUpdatesFinishesUnchanged() {
        var created = Deployment(state: state(), stage: .awaiting(call(.createChangeSet(name: name, type: .create,
                                                                                            spec: spec))))
        #expect(created.changeSetCreated(id: "arn:aws:cloudformation:changeSet/\(name)") == [
            step("create-change-set", .end, "created"), .perform(call(.awaitChangeSet(name: name)), after: 0.1),
        ])
        var none = Deployment(state: state(), stage: .awaiting(call(.createChangeSet(name: name, type: .update,
                                                                                         spec: spec))))
        #expect(none.changeSetCreated(id: nil) == [
            step("create-change-set", .end, "no updates are to be performed"),
            step("stack", .end, "unchanged: no changes"),
            .record(.stackApplied(plan.record(for: spec))),
            .record(.stackApplied(plan.record(for: spec))),
            step("deploy", .end, "applied; changed: none; unchanged: app", stack: nil),
            .finish(.applied(changed: [], unchanged: ["app"])),
        ])
    }

    @Test func anExecutedChangeSetIsFollowedWithItsStartTime() {
        var machine = Deployment(state: state(), stage: .awaiting(call(.executeChangeSet(name: name))))
        #expect(machine.changeSetExecuted(now: now) == [
            step("execute-change-set", .end, "executing"), .perform(call(.follow(changeSet: name)), after: 0.1),
        ])
        #expect(machine.stage == .following(call(.follow(changeSet: name)), since: now))
        #expect(machine.state.executed == [name])
    }

    @Test func aRolledBackOperationReadsItsEventsFromItsStart() {
        var machine = Deployment(state: state(), stage: .following(call(.follow(changeSet: name)), since: now))
        let stack = ObservedStack(name: "app", status: .updateRollbackComplete)
        let set = ObservedChangeSet(name: name, status: .createComplete, executionStatus: .executeFailed)
        let read = call(.readEvents(since: Timestamp.format(now.addingTimeInterval(-900))))
        #expect(machine.followed(stack: stack, changeSet: set, now: now) == [.perform(read, after: 0)])
        #expect(machine.stage == .readingEvents(read, verdict: .rolledBack(status: .updateRollbackComplete)))
    }

    @Test func eventsOfAFailedRollbackFailTheReleaseForAPerson() throws {
        let read = call(.readEvents(since: nil))
        var machine = Deployment(state: state(),
                                 stage: .readingEvents(read, verdict: .needsPerson(status: .updateRollbackFailed)))
        let events = [
            StackEvent(id: "3", stack: "app", logicalResourceId: "app", status: "UPDATE_ROLLBACK_FAILED", time: "t3"),
            StackEvent(id: "2", stack: "app", logicalResourceId: "Queue", status: "UPDATE_FAILED", reason: "boom",
                       time: "t2"),
            StackEvent(id: "1", stack: "app", logicalResourceId: "app", status: "UPDATE_IN_PROGRESS", time: "t1"),
        ]
        let actions = machine.eventsRead(events)
        guard case .finish(.failed(let failure)) = try #require(actions.last) else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(failure.error.code == .stackNeedsPerson && failure.error.resource == "app/Queue")
        #expect(failure.error.message.hasPrefix("app is UPDATE_ROLLBACK_FAILED after app/Queue failed: boom"))
        #expect(machine.state.phase == .forward && machine.stage == .done)  // nothing is returned under a broken stack
    }

    /// An event the stage does not await, or a position that names no stack, suspends
    /// the deployment with an internal error: nothing is guessed, nothing is called.
    @Test(arguments: [0, 1, 2])
    func unexpectedEventsAndLostPositionsSuspend(_ index: Int) {
        var machine: Deployment
        var actions: [Action]
        switch index {
        case 0:
            machine = Deployment(state: state(), stage: .done)
            actions = machine.observed(stack: nil, changeSets: [], now: now)
        case 1:
            machine = Deployment(state: state(), stage: .awaiting(call(.observe)))
            actions = machine.changeSetExecuted(now: now)
        default:
            var lost = state()
            lost.index = 7
            machine = Deployment(state: lost, stage: .awaiting(call(.observe)))
            actions = machine.observed(stack: nil, changeSets: [], now: now)
        }
        #expect(actions.count == 2)
        guard case .finish(.suspended(let error)) = actions.last else {
            Issue.record("expected a suspension, got \(actions)")
            return
        }
        #expect(error.code == .journal && error.message.hasPrefix("internal error: "))
        #expect(!actions.contains { if case .perform = $0 { true } else { false } })
        #expect(machine.stage == .done)
    }
}

/// The persisted phase carries its payload; the journal's JSON keeps schema 1's flat keys.
@Suite struct DeploymentStateCodingTests {
    @Test func aRevertingPhaseRoundTripsFlatAndIsRefusedWithoutItsFailure() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("app-v1"))])
        var state = DeploymentState(plan: plan, attempt: "a1", startedAt: "2024-05-01T12:00:00Z")
        let failure = FailureRecord(AgentError(.stackFailed, "app/Queue failed: boom", next: .needsPerson,
                                               resource: "app/Queue"))
        state.phase = .reverting(failedStack: "app", failure: failure)
        let data = try JSONEncoder().encode(state)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["phase"] as? String == "reverting" && object["failedStack"] as? String == "app")
        #expect((object["failure"] as? [String: Any])?["code"] as? String == "stackFailed")
        #expect(try JSONDecoder().decode(DeploymentState.self, from: data) == state)

        var broken = object
        broken["failure"] = nil
        let brokenData = try JSONSerialization.data(withJSONObject: broken)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(DeploymentState.self, from: brokenData) }
        broken = object
        broken["failure"] = ["code": "meltdown", "message": "x", "next": "needs-person"]
        let unknownCode = try JSONSerialization.data(withJSONObject: broken)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(DeploymentState.self, from: unknownCode) }
    }
}
