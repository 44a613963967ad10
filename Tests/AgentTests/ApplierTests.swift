import Agent
import Foundation
import Manifest
import Testing

/// The Applier and the deploy state machine against ScriptedCloudFormation (a double:
/// moto cannot fail a stack, see ScriptedCloudFormation.swift).
@Suite struct ApplierTests {
    let twoStacks = [
        StackDraft(name: "data", template: queueTemplate("data-v1")),
        StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
    ]

    @Test func freshCreateOfTwoStacks() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, twoStacks)
        let outcome = try silo.apply(plan)

        #expect(outcome == .applied(changed: ["data", "app"], unchanged: []))
        #expect(silo.cloud.stacks["data"]?.status == .createComplete)
        #expect(silo.cloud.stacks["app"]?.status == .createComplete)
        #expect(silo.cloud.stacks["app"]?.template == queueTemplate("app-v1"))
        #expect(silo.cloud.count("executeChangeSet") == 2)
        let base = plan.changeSetName(for: plan.stacks[0].spec, attempt: "")
        #expect(silo.cloud.calls.contains { $0.hasPrefix("createChangeSet data \(base)-") && $0.hasSuffix(" CREATE") })
        // Dependencies first: data is executed before app.
        let executes = silo.cloud.calls.filter { $0.hasPrefix("executeChangeSet") }
        #expect(executes.map { $0.split(separator: " ")[1] } == ["data", "app"])

        let journal = try silo.journal()
        #expect(try journal.inFlight(pipeline: "webapp") == nil)
        #expect(try journal.lastApplied(pipeline: "webapp")?.target == plan.target)
        let records = try journal.stackRecords(pipeline: "webapp")
        #expect(records["data"]?.spec.digest == plan.stacks[0].spec.digest)
        #expect(records["app"]?.version == plan.target.version)
    }

    @Test func updatesOnlyStacksWhoseDigestChanged() throws {
        let silo = try Silo()
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, twoStacks))
        let before = silo.cloud.calls.count

        var next = twoStacks
        next[1].template = queueTemplate("app-v2")
        let plan = try silo.release("1.1.0", serial: 2, next)
        let outcome = try silo.apply(plan)

        #expect(outcome == .applied(changed: ["app"], unchanged: ["data"]))
        let calls = silo.cloud.calls[before...]
        // data is only observed (DescribeStacks, GetTemplate, ListChangeSets), then skipped.
        #expect(calls.filter { $0.contains(" data") } == ["describeStack data", "deployedTemplate data",
                                                          "listChangeSets data"])
        let base = plan.changeSetName(for: plan.stacks[1].spec, attempt: "")
        #expect(calls.contains { $0.hasPrefix("executeChangeSet app \(base)-") })
        #expect(silo.cloud.stacks["app"]?.status == .updateComplete)
        #expect(silo.cloud.stacks["app"]?.template == queueTemplate("app-v2"))
        // The skipped stack's record now points into the new release folder.
        let records = try silo.journal().stackRecords(pipeline: "webapp")
        #expect(records["data"]?.spec.templatePath.hasPrefix(plan.folder) == true)
        #expect(records["app"]?.version == (try SemVer("1.1.0")))
    }

    @Test(arguments: [false, true])
    func noChangeChangeSetIsSuccess(withParameters: Bool) throws {
        // Without parameters CloudFormation (and moto) answers with a FAILED change set
        // "didn't contain changes"; with parameters moto refuses CreateChangeSet with
        // "No updates are to be performed." (the service maps it to nil). Both: success.
        let silo = try Silo()
        let parameters = withParameters ? ["Stage": "prod"] : [:]
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1"), parameters: parameters),
        ]))
        let plan = try silo.release("1.0.1", serial: 2, [
            StackDraft(name: "data", template: queueTemplate("data-v1", "# only a comment changed"),
                       parameters: parameters),
        ])
        let outcome = try silo.apply(plan)

        #expect(outcome == .applied(changed: [], unchanged: ["data"]))
        #expect(silo.cloud.count("executeChangeSet") == 1)  // the first release's create only
        #expect(silo.cloud.count("createChangeSet") == 2)
        let base = plan.changeSetName(for: plan.stacks[0].spec, attempt: "")
        #expect((silo.cloud.changeSets["data"]?.keys.contains { $0.hasPrefix(base + "-") } == true) == !withParameters)
        #expect(try silo.journal().stackRecords(pipeline: "webapp")["data"]?.spec.digest == plan.stacks[0].spec.digest)
    }

    @Test func secondStackFailsSoFirstReturnsToPreviousRelease() throws {
        let silo = try Silo()
        let first = try silo.release("1.0.0", serial: 1, twoStacks)
        _ = try silo.apply(first)

        let failing = try silo.release("1.1.0", serial: 2, [
            StackDraft(name: "data", template: queueTemplate("data-v2")),
            StackDraft(name: "cache", template: queueTemplate("cache-v1")),
            StackDraft(name: "app", template: queueTemplate("app-v2", failMarker("Access Denied for sqs:CreateQueue")),
                       dependsOn: ["data"]),
        ])
        let outcome = try silo.apply(failing)

        guard case .failed(let failure) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(failure.stack == "app")
        #expect(failure.error.code == .stackFailed)
        #expect(failure.error.resource == "app/Queue")
        #expect(failure.error.message.contains("Access Denied for sqs:CreateQueue"))
        #expect(failure.reverted == ["data"])
        #expect(failure.leftInPlace == ["cache"])
        #expect(failure.events.contains { $0.status == "UPDATE_FAILED" && $0.logicalResourceId == "Queue" })

        // data runs release 1.0.0's template again, through its rollback change set.
        #expect(silo.cloud.stacks["data"]?.template == queueTemplate("data-v1"))
        let rollback = failing.rollbackChangeSetName(for: first.stacks[0].spec, attempt: "")
        #expect(silo.cloud.executions.filter { $0.key.hasPrefix(rollback + "-") }.map(\.value) == [1])
        // app was rolled back by CloudFormation itself; cache stays, new in the failed release.
        #expect(silo.cloud.stacks["app"]?.status == .updateRollbackComplete)
        #expect(silo.cloud.stacks["app"]?.template == queueTemplate("app-v1"))
        #expect(silo.cloud.stacks["cache"]?.status == .createComplete)

        let journal = try silo.journal()
        #expect(try journal.failedTargets(pipeline: "webapp") == [failing.target.key])
        #expect(try journal.lastApplied(pipeline: "webapp")?.target == first.target)
        #expect(try journal.lastAppliedTarget(pipeline: "webapp") == first.target)
        let records = try journal.stackRecords(pipeline: "webapp")
        #expect(records["data"] == first.stacks[0].previousOrApplied(first))
        #expect(records["app"]?.version == first.target.version)
        #expect(records["cache"] == nil)
        let latest = try journal.latestRelease(pipeline: "webapp")
        #expect(latest?.state == .failed && latest?.failure?.resource == "app/Queue")
    }

    @Test func failedFirstCreationIsDeletedAndCreatedByTheNextRelease() throws {
        let silo = try Silo()
        let broken = try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1", failMarker("Queue name taken"))),
        ])
        guard case .failed(let failure) = try silo.apply(broken) else {
            Issue.record("the first creation should fail")
            return
        }
        #expect(failure.error.resource == "data/Queue")
        #expect(failure.reverted.isEmpty && failure.leftInPlace.isEmpty)
        #expect(silo.cloud.stacks["data"]?.status == .rollbackComplete)

        let fixed = try silo.release("1.0.1", serial: 2, [StackDraft(name: "data", template: queueTemplate("data-v1"))])
        let outcome = try silo.apply(fixed)

        #expect(outcome == .applied(changed: ["data"], unchanged: []))
        #expect(silo.cloud.count("deleteStack") == 1)
        let deleteIndex = silo.cloud.calls.firstIndex(of: "deleteStack data")!
        let createIndex = silo.cloud.calls.lastIndex { $0.hasPrefix("createChangeSet data") }!
        #expect(deleteIndex < createIndex)
        #expect(silo.cloud.calls[createIndex].hasSuffix("CREATE"))
        #expect(silo.cloud.stacks["data"]?.status == .createComplete)
    }
}

extension PlannedStack {
    /// The record a successful apply of `plan` leaves for this stack.
    func previousOrApplied(_ plan: DeployPlan) -> StackRecord {
        StackRecord(spec: spec, source: plan.target.source, serial: plan.target.serial, version: plan.target.version)
    }
}
