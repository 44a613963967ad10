import Agent
import AWS
import Foundation

/// What the agent depends on in CloudFormation, as a table of scenarios that run through
/// any `StackService` and write a trace: `MemoryStacks` (AgentTests) and moto behind the
/// failure stand-in (IntegrationTests) must write the same one.
public struct StackScenario: Sendable, CustomStringConvertible {
    public let name: String
    public let expected: [String]
    let body: @Sendable (ScenarioRun) throws -> Void

    public var description: String { name }

    /// Runs the scenario on `service` with stacks named `<prefix>-…` (unique per run);
    /// `pause` lets time pass between two looks (a real sleep, or a simulated clock's advance).
    public func trace(on service: any StackService, prefix: String, pause: @escaping () -> Void) throws -> [String] {
        let run = ScenarioRun(service: service, prefix: prefix, pause: pause)
        try body(run)
        return run.lines
    }
}

/// One run of a scenario: the calls it makes, and the trace.
public final class ScenarioRun {
    let service: any StackService
    let prefix: String
    let pause: () -> Void
    var lines: [String] = []

    init(service: any StackService, prefix: String, pause: @escaping () -> Void) {
        self.service = service
        self.prefix = prefix
        self.pause = pause
    }

    func name(_ stack: String) -> String { "\(prefix)-\(stack)" }

    func note(_ line: String) { lines.append(line) }

    /// A queue template with a unique queue name; `metadata` goes under `Metadata:`.
    func template(_ queue: String, metadata: String? = nil, parameter: Bool = false) -> String {
        var text = "AWSTemplateFormatVersion: '2010-09-09'\n"
        if let metadata { text += "Metadata:\n  \(metadata)\n" }
        if parameter { text += "Parameters:\n  Stage:\n    Type: String\n" }
        text += "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: \(prefix)-\(queue)\n"
        return text
    }

    /// CreateChangeSet; notes "created", or "no updates are to be performed" for `nil`.
    func createChangeSet(_ stack: String, _ changeSet: String, _ type: ChangeSetType, _ body: String,
                         parameters: [String: String] = [:], tags: [String: String] = [:]) throws {
        let id = try service.createChangeSet(ChangeSetRequest(
            stackName: name(stack), changeSetName: changeSet, type: type, template: .body(body),
            parameters: parameters, tags: tags, capabilities: [], description: "scenario"))
        note(id == nil ? "no updates are to be performed" : "created \(changeSet)")
    }

    /// DescribeChangeSet until computed; notes its status, or "no changes".
    func changeSet(_ stack: String, _ changeSet: String) throws {
        for _ in 0..<200 {
            guard let set = try service.describeChangeSet(stack: name(stack), name: changeSet) else {
                note("change set \(changeSet) missing")
                return
            }
            if set.status == .createPending || set.status == .createInProgress
                || set.executionStatus == .executeInProgress {
                pause()
                continue
            }
            note(set.isNoChange ? "change set \(changeSet) no changes"
                 : "change set \(changeSet) \(set.status) \(set.executionStatus)")
            return
        }
        note("change set \(changeSet) never computed")
    }

    /// ExecuteChangeSet, then DescribeStacks until the stack is no longer in progress.
    func execute(_ stack: String, _ changeSet: String) throws {
        try service.executeChangeSet(stack: name(stack), name: changeSet)
        try settle(stack)
    }

    /// DescribeStacks until terminal; notes "stack STATUS" (or "stack gone").
    func settle(_ stack: String) throws {
        for _ in 0..<200 {
            let observed = try service.describeStack(name: name(stack))
            guard let observed, observed.status != .deleteComplete else {
                note("stack gone")
                return
            }
            if observed.status.isInProgress {
                pause()
                continue
            }
            note("stack \(observed.status)")
            return
        }
        note("stack never settled")
    }

    func describe(_ stack: String) throws {
        note(try service.describeStack(name: name(stack)).map { "stack \($0.status)" } ?? "stack gone")
    }

    /// GetTemplate: notes which of `known` (by label) the stack runs.
    func template(_ stack: String, known: [String: String]) throws {
        let body = try service.deployedTemplate(stack: name(stack))
        note("runs " + (known.first { $0.value == body }?.key ?? "something else"))
    }

    /// The newest event, and the failing resource's event with its reason.
    func failureEvents(_ stack: String) throws {
        let events = try service.events(stack: name(stack), since: nil)
        note("newest event " + (events.first.map { "\($0.isAboutStack ? "stack" : $0.logicalResourceId) \($0.status)" }
            ?? "none"))
        let failed = events.first { !$0.isAboutStack && $0.status.hasSuffix("_FAILED") }
        note("failed " + (failed.map { "\($0.logicalResourceId) \($0.status): \($0.reason ?? "")" } ?? "none"))
    }
}

public enum StackScenarios {
    static let reason = "Resource handler returned message: boom"
    static let marker = "FerryTestFailure: {resource: Queue, reason: \"\(reason)\"}"

    public static let all: [StackScenario] = [
        StackScenario(name: "create, then update", expected: [
            "created c1", "stack REVIEW_IN_PROGRESS", "change set c1 CREATE_COMPLETE AVAILABLE", "stack CREATE_COMPLETE",
            "runs v1", "change set c1 CREATE_COMPLETE EXECUTE_COMPLETE",
            "created c2", "change set c2 CREATE_COMPLETE AVAILABLE", "stack UPDATE_COMPLETE", "runs v2",
        ]) { run in
            let v1 = run.template("a1"), v2 = run.template("a2")
            try run.createChangeSet("app", "c1", .create, v1)
            try run.describe("app")
            try run.changeSet("app", "c1")
            try run.execute("app", "c1")
            try run.template("app", known: ["v1": v1, "v2": v2])
            try run.changeSet("app", "c1")
            try run.createChangeSet("app", "c2", .update, v2)
            try run.changeSet("app", "c2")
            try run.execute("app", "c2")
            try run.template("app", known: ["v1": v1, "v2": v2])
        },
        StackScenario(name: "no changes, in both forms", expected: [
            "created c1", "change set c1 CREATE_COMPLETE AVAILABLE", "stack CREATE_COMPLETE",
            "created c2", "change set c2 no changes",
            "created p1", "change set p1 CREATE_COMPLETE AVAILABLE", "stack CREATE_COMPLETE",
            "no updates are to be performed",
        ]) { run in
            let plain = run.template("b1")
            try run.createChangeSet("plain", "c1", .create, plain)
            try run.changeSet("plain", "c1")
            try run.execute("plain", "c1")
            try run.createChangeSet("plain", "c2", .update, plain)
            try run.changeSet("plain", "c2")
            let withParameter = run.template("b2", parameter: true)
            try run.createChangeSet("param", "p1", .create, withParameter, parameters: ["Stage": "prod"])
            try run.changeSet("param", "p1")
            try run.execute("param", "p1")
            try run.createChangeSet("param", "p2", .update, withParameter, parameters: ["Stage": "prod"])
        },
        StackScenario(name: "a failed update is rolled back", expected: [
            "created c1", "change set c1 CREATE_COMPLETE AVAILABLE", "stack CREATE_COMPLETE",
            "created c2", "change set c2 CREATE_COMPLETE AVAILABLE", "stack UPDATE_ROLLBACK_COMPLETE", "runs v1", "change set c2 CREATE_COMPLETE EXECUTE_FAILED",
            "newest event stack UPDATE_ROLLBACK_COMPLETE", "failed Queue UPDATE_FAILED: \(reason)",
        ]) { run in
            let v1 = run.template("c1"), failing = run.template("c2", metadata: marker)
            try run.createChangeSet("app", "c1", .create, v1)
            try run.changeSet("app", "c1")
            try run.execute("app", "c1")
            try run.createChangeSet("app", "c2", .update, failing)
            try run.changeSet("app", "c2")
            try run.execute("app", "c2")
            try run.template("app", known: ["v1": v1, "failing": failing])
            try run.changeSet("app", "c2")
            try run.failureEvents("app")
        },
        StackScenario(name: "a failed first creation ends ROLLBACK_COMPLETE, then is deleted", expected: [
            "created c1", "change set c1 CREATE_COMPLETE AVAILABLE", "stack ROLLBACK_COMPLETE",
            "newest event stack ROLLBACK_COMPLETE", "failed Queue CREATE_FAILED: \(reason)", "stack gone",
        ]) { run in
            try run.createChangeSet("new", "c1", .create, run.template("d1", metadata: marker))
            try run.changeSet("new", "c1")
            try run.execute("new", "c1")
            try run.failureEvents("new")
            try run.service.deleteStack(name: run.name("new"))
            try run.settle("new")
        },
    ]
}
