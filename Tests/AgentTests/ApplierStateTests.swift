import Agent
import Basics
import Foundation
import Manifest
import Testing

/// Stacks in states the agent did not cause, transient errors, and superseding targets,
/// against ScriptedCloudFormation (moto cannot hold a stack busy or failed).
@Suite struct ApplierStateTests {
    let one = [StackDraft(name: "data", template: queueTemplate("data-v1"))]

    @Test func stackBusyWithSomeoneElseWaitsThenNeedsAPersonThenProceeds() throws {
        let silo = try Silo()
        silo.cloud.place("data", status: .updateInProgress, template: queueTemplate("data-v0"))
        let plan = try silo.release("1.0.0", serial: 1, one)
        let timing = Timing(busyRetry: 30, busyLimit: 600)

        guard case .suspended(let waiting) = try silo.apply(plan, timing: timing) else {
            Issue.record("a busy stack should suspend the deployment")
            return
        }
        #expect(waiting.code == .stackBusy && waiting.next == .waitAndRetry(after: 30) && waiting.resource == "data")
        #expect(try silo.journal().inFlight(pipeline: "webapp")?.waiting?.next == .wait)

        silo.clock.advance(601)
        guard case .suspended(let stuck) = try silo.apply(plan, timing: timing) else {
            Issue.record("a stack busy past the limit should need a person")
            return
        }
        #expect(stuck.code == .stackBusy && stuck.next == .needsPerson)
        #expect(silo.cloud.count("createChangeSet") == 0)

        silo.cloud.finishOthersOperation("data", status: .updateComplete)
        #expect(try silo.apply(plan, timing: timing) == .applied(changed: ["data"], unchanged: []))
        #expect(silo.cloud.count("executeChangeSet") == 1)
    }

    @Test func stackLeftInUpdateRollbackFailedNeedsAPerson() throws {
        let silo = try Silo()
        silo.cloud.place("data", status: .updateRollbackFailed, template: queueTemplate("data-v0"))
        let outcome = try silo.apply(try silo.release("1.0.0", serial: 1, one))

        guard case .suspended(let error) = outcome else {
            Issue.record("expected suspended, got \(outcome)")
            return
        }
        #expect(error.code == .stackNeedsPerson && error.next == .needsPerson && error.resource == "data")
        #expect(error.message.contains("continue-update-rollback"))
        #expect(silo.cloud.count("createChangeSet") == 0 && silo.cloud.count("deleteStack") == 0)
    }

    @Test func ownUpdateEndingInUpdateRollbackFailedIsNotReverted() throws {
        let silo = try Silo()
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1")),
            StackDraft(name: "app", template: queueTemplate("app-v1")),
        ]))
        let outcome = try silo.apply(try silo.release("1.1.0", serial: 2, [
            StackDraft(name: "data", template: queueTemplate("data-v2")),
            StackDraft(name: "app", template: queueTemplate("app-v2", failMarker("boom", rollbackFails: true))),
        ]))

        guard case .failed(let failure) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(failure.error.code == .stackNeedsPerson && failure.error.resource == "app/Queue")
        #expect(failure.reverted.isEmpty)  // a person must look first: nothing is moved under a broken stack
        #expect(silo.cloud.stacks["app"]?.status == .updateRollbackFailed)
        #expect(silo.cloud.stacks["data"]?.template == queueTemplate("data-v2"))
    }

    @Test func invalidChangeSetFailsTheReleaseAndReturnsMovedStacks() throws {
        let silo = try Silo()
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1")),
            StackDraft(name: "app", template: queueTemplate("app-v1")),
        ]))
        let outcome = try silo.apply(try silo.release("1.1.0", serial: 2, [
            StackDraft(name: "data", template: queueTemplate("data-v2")),
            StackDraft(name: "app", template: queueTemplate("app-v2", invalidMarker("Template format error: bad"))),
        ]))
        guard case .failed(let failure) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(failure.error.code == .changeSetFailed && failure.error.resource == "app")
        #expect(failure.error.message.contains("Template format error: bad"))
        #expect(failure.reverted == ["data"])
        #expect(silo.cloud.stacks["data"]?.template == queueTemplate("data-v1"))
    }

    @Test func leftoverFerryChangeSetsAreDeletedOthersKept() throws {
        let silo = try Silo()
        silo.cloud.place("data", status: .updateComplete, template: queueTemplate("data-v0"))
        silo.cloud.placeChangeSet(stack: "data", name: "ferry-3-aaaaaaaaaaaa", status: .createComplete, execution: .available)
        silo.cloud.placeChangeSet(stack: "data", name: "ferry-4-bbbbbbbbbbbb", status: .failed, execution: .unavailable)
        silo.cloud.placeChangeSet(stack: "data", name: "someone-elses", status: .createComplete, execution: .available)
        let plan = try silo.release("1.0.0", serial: 5, one)

        #expect(try silo.apply(plan) == .applied(changed: ["data"], unchanged: []))
        #expect(silo.cloud.calls.contains("deleteChangeSet data ferry-3-aaaaaaaaaaaa"))
        #expect(silo.cloud.calls.contains("deleteChangeSet data ferry-4-bbbbbbbbbbbb"))
        #expect(!silo.cloud.calls.contains { $0.hasPrefix("deleteChangeSet data someone-elses") })
        let firstCreate = silo.cloud.calls.firstIndex { $0.hasPrefix("createChangeSet") }!
        let lastDelete = silo.cloud.calls.lastIndex { $0.hasPrefix("deleteChangeSet") }!
        #expect(lastDelete < firstCreate)
        #expect(silo.cloud.calls[firstCreate].hasSuffix("UPDATE"))
    }

    @Test func emptyReviewInProgressStackIsDeletedThenCreated() throws {
        let silo = try Silo()
        silo.cloud.place("data", status: .reviewInProgress)
        #expect(try silo.apply(try silo.release("1.0.0", serial: 1, one)) == .applied(changed: ["data"], unchanged: []))
        #expect(silo.cloud.count("deleteStack") == 1)
        #expect(silo.cloud.stacks["data"]?.status == .createComplete)
    }

    @Test func transientErrorsAreRetriedThenSuspendThenResume() throws {
        let silo = try Silo()
        let throttled = AgentError(.service, "Throttling: Rate exceeded", next: .transient)
        silo.cloud.faults["describeStack"] = [throttled, throttled]
        let plan = try silo.release("1.0.0", serial: 1, one)
        #expect(try silo.apply(plan) == .applied(changed: ["data"], unchanged: []))
        #expect(silo.clock.slept >= 1 + 2)  // the first two backoff waits

        let second = try silo.release("1.1.0", serial: 2, [StackDraft(name: "data", template: queueTemplate("data-v2"))])
        silo.cloud.faults["createChangeSet"] = Array(repeating: throttled, count: 10)
        guard case .suspended(let error) = try silo.apply(second) else {
            Issue.record("a call that keeps failing should suspend")
            return
        }
        #expect(error == throttled)
        #expect(try silo.journal().inFlight(pipeline: "webapp")?.plan.target == second.target)

        silo.cloud.faults = [:]
        #expect(try silo.apply(second) == .applied(changed: ["data"], unchanged: []))
        #expect(silo.cloud.executions.values.allSatisfy { $0 == 1 })
    }

    @Test func newerTargetSupersedesSuspendedDeployment() throws {
        let silo = try Silo()
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, one))
        silo.cloud.finishOthersOperation("data", status: .updateInProgress)  // someone holds it
        let stuck = try silo.release("1.1.0", serial: 2, [StackDraft(name: "data", template: queueTemplate("data-v2"))])
        guard case .suspended = try silo.apply(stuck) else {
            Issue.record("expected suspended")
            return
        }
        silo.cloud.finishOthersOperation("data", status: .updateComplete)
        let rollback = try silo.release("1.0.0", serial: 3, one)
        #expect(try silo.apply(rollback) == .applied(changed: [], unchanged: ["data"]))

        let journal = try silo.journal()
        #expect(try journal.releases(pipeline: "webapp").map(\.state) == [.applied, .superseded, .applied])
        #expect(try journal.lastApplied(pipeline: "webapp")?.target == rollback.target)
        #expect(silo.cloud.count("createChangeSet") == 1)  // only the first release's create
    }

    @Test func templateAboveTheBodyLimitGoesByURL() throws {
        let silo = try Silo()
        let padding = String(repeating: "# padding line to pass CloudFormation's 51,200 byte body limit\n", count: 900)
        let big = queueTemplate("data-v1", padding)
        #expect(big.utf8.count > ChangeSetRequest.bodyLimit)
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "data", template: big)])
        #expect(try silo.apply(plan) == .applied(changed: ["data"], unchanged: []))
        let url = "https://bucket.s3.amazonaws.com/ferry/artifacts/sha256/\(sha256Hex(Data(big.utf8)))"
        #expect(silo.cloud.stacks["data"]?.template == "# fetched from \(url)")
    }

    @Test func changedTemplateOnDiskIsRefused() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, one)
        try "tampered".write(toFile: plan.stacks[0].spec.templatePath, atomically: false, encoding: .utf8)
        guard case .suspended(let error) = try silo.apply(plan) else {
            Issue.record("expected suspended")
            return
        }
        #expect(error.code == .template && error.next == .needsPerson)
        #expect(silo.cloud.count("createChangeSet") == 0)
    }
}
