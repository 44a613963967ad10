import Agent
import Foundation
import MemoryStacks

/// `MemoryStacks` with what a unit test needs around it: every call logged, scripted
/// faults, and a crash at a chosen call (before or after its effect), as a killed agent
/// would meet it. CloudFormation itself (statuses, change sets, failures, events) is
/// `MemoryStacks`; templates steer it with its markers, in comment lines here
/// (`# FerryTestFailure: {resource: Queue, reason: "boom"}`, `# FerryTestInvalid: "..."`),
/// which never count as changes.
final class ScriptedCloudFormation: StackService {
    /// Thrown to stop the agent as a crash would.
    struct SimulatedCrash: Error {}

    /// Thrown when the agent keeps calling without end: a loop in the state machine.
    struct Runaway: Error, CustomStringConvertible {
        var lastCalls: [String]
        var description: String { "more than \(ScriptedCloudFormation.callLimit) calls; last: \(lastCalls)" }
    }

    /// A stack as a test looks at it.
    struct StackView {
        var status: StackStatus
        var template: String?
    }

    static let callLimit = 1_000

    let memory: MemoryStacks
    /// Every call, in order: `executeChangeSet a ferry-2-…`.
    private(set) var calls: [String] = []
    /// ExecuteChangeSet calls per change set name.
    private(set) var executions: [String: Int] = [:]
    /// Crash on call number `crashAt` (1-based, counted from now), before or after its effect.
    var crashAt: Int?
    var crashAfterEffect = false
    /// Errors to throw instead of answering, per method name (`describeStack`), in order.
    var faults: [String: [AgentError]] = [:]
    private var pendingCrash = false

    init(clock: any AgentClock) { memory = MemoryStacks(clock: clock, flavour: .moto) }

    // MARK: Scenario set-up and inspection

    var stacks: [String: StackView] {
        Dictionary(uniqueKeysWithValues: memory.stackNames.compactMap { name in
            memory.status(name).map { (name, StackView(status: $0, template: memory.deployed(name)?.template)) }
        })
    }

    var changeSets: [String: [String: Bool]] {
        Dictionary(uniqueKeysWithValues: memory.stackNames.map { name in
            (name, Dictionary(uniqueKeysWithValues: memory.changeSetNames(name).map { ($0, true) }))
        })
    }

    func place(_ name: String, status: StackStatus, template: String = "", parameters: [String: String] = [:]) {
        memory.place(name, status: status, template: template, parameters: parameters)
    }

    func placeChangeSet(stack: String, name: String, status: ChangeSetStatus, execution: ExecutionStatus) {
        memory.placeChangeSet(stack: stack, name: name, status: status, execution: execution)
    }

    /// Someone else's operation on `name` shows `status` now.
    func finishOthersOperation(_ name: String, status: StackStatus) { memory.setStatus(name, status) }

    func count(_ method: String) -> Int { calls.filter { $0.hasPrefix(method + " ") }.count }

    // MARK: StackService

    func describeStack(name: String) throws -> ObservedStack? {
        try call("describeStack", name) { try memory.describeStack(name: name) }
    }

    func deployedTemplate(stack: String) throws -> String? {
        try call("deployedTemplate", stack) { try memory.deployedTemplate(stack: stack) }
    }

    func createChangeSet(_ request: ChangeSetRequest) throws -> String? {
        try call("createChangeSet", request.stackName, request.changeSetName, request.type.rawValue) {
            try memory.createChangeSet(request)
        }
    }

    func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet? {
        try call("describeChangeSet", stack, name) { try memory.describeChangeSet(stack: stack, name: name) }
    }

    func executeChangeSet(stack: String, name: String) throws {
        try call("executeChangeSet", stack, name) {
            try memory.executeChangeSet(stack: stack, name: name)
            executions[name, default: 0] += 1
        }
    }

    func deleteChangeSet(stack: String, name: String) throws {
        try call("deleteChangeSet", stack, name) { try memory.deleteChangeSet(stack: stack, name: name) }
    }

    func listChangeSets(stack: String) throws -> [ObservedChangeSet] {
        try call("listChangeSets", stack) { try memory.listChangeSets(stack: stack) }
    }

    func deleteStack(name: String) throws {
        try call("deleteStack", name) { try memory.deleteStack(name: name) }
    }

    func events(stack: String, since: String?) throws -> [StackEvent] {
        try call("events", stack) { try memory.events(stack: stack, since: since) }
    }

    // MARK: Calls

    /// Logs the call, throws a scripted fault or crashes before the effect, makes it,
    /// or crashes after the effect.
    private func call<T>(_ method: String, _ arguments: String..., body: () throws -> T) throws -> T {
        calls.append(([method] + arguments).joined(separator: " "))
        if calls.count > Self.callLimit { throw Runaway(lastCalls: Array(calls.suffix(12))) }
        if var queue = faults[method], !queue.isEmpty {
            let fault = queue.removeFirst()
            faults[method] = queue
            throw fault
        }
        if let crashAt {
            if crashAt == 1 {
                self.crashAt = nil
                if !crashAfterEffect { throw SimulatedCrash() }
                pendingCrash = true
            } else {
                self.crashAt = crashAt - 1
            }
        }
        let value = try body()
        if pendingCrash {
            pendingCrash = false
            throw SimulatedCrash()
        }
        return value
    }
}
