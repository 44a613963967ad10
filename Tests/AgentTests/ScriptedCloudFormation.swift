import Agent
import Foundation

/// A test double of CloudFormation that plays its documented sequences, failures
/// included. It exists because moto never fails a stack (no `*_FAILED`, no rollback; see
/// MOTO.md): the agent's failure, rollback and crash paths cannot be shown against moto.
/// Happy paths are also covered by the lead's moto-backed integration tests.
///
/// Templates steer it with comment lines:
/// - `# scripted: fail <LogicalId> <reason...>` — the operation fails on that resource and
///   CloudFormation rolls back (`UPDATE_ROLLBACK_COMPLETE`, or `ROLLBACK_COMPLETE` for a
///   first creation);
/// - `# scripted: fail-rollback` — with `fail`, the rollback fails too (`UPDATE_ROLLBACK_FAILED`);
/// - `# scripted: invalid <reason...>` — the change set ends `FAILED` with that reason.
///
/// Comment lines never count as changes (as CloudFormation compares resources): an
/// update whose template differs only in comments is a "no changes" change set — FAILED
/// with "didn't contain changes" without parameters, or `nil` at once ("No updates are
/// to be performed") with parameters, the two forms moto shows.
final class ScriptedCloudFormation: StackService {
    struct Stack {
        var status: StackStatus
        var template = ""
        var parameters: [String: String] = [:]
        var tags: [String: String] = [:]
        /// Statuses the next DescribeStacks calls reveal, one per call.
        var upcoming: [StackStatus] = []
        /// Events revealed with each upcoming status.
        var upcomingEvents: [[StackEvent]] = []
        var events: [StackEvent] = []  // oldest first
        /// The change set whose execution is running, and how it ends.
        var executing: String?
        var executionSucceeds = true
    }

    struct ChangeSet {
        var request: ChangeSetRequest
        var status: ChangeSetStatus
        var executionStatus: ExecutionStatus
        var reason: String?
        /// DescribeChangeSet calls until it is ready.
        var pollsLeft: Int
        var outcome: (ChangeSetStatus, ExecutionStatus, String?)
    }

    /// Thrown to stop the agent as a crash would.
    struct SimulatedCrash: Error {}

    /// Thrown when the agent keeps calling without end: a loop in the state machine.
    struct Runaway: Error, CustomStringConvertible {
        var lastCalls: [String]
        var description: String { "more than \(ScriptedCloudFormation.callLimit) calls; last: \(lastCalls)" }
    }

    static let callLimit = 1_000

    private(set) var stacks: [String: Stack] = [:]
    private(set) var changeSets: [String: [String: ChangeSet]] = [:]
    /// Every call, in order: `executeChangeSet a ferry-2-…`.
    private(set) var calls: [String] = []
    /// ExecuteChangeSet calls per change set name.
    private(set) var executions: [String: Int] = [:]
    private var eventCounter = 0
    private var clockSeconds = 1_714_564_800

    /// Crash on call number `crashAt` (1-based, counted from now), before or after its effect.
    var crashAt: Int?
    var crashAfterEffect = false
    /// Errors to throw instead of answering, per method name (`describeStack`), in order.
    var faults: [String: [AgentError]] = [:]

    // MARK: Scenario set-up

    /// Puts a stack in place as someone else left it.
    func place(_ name: String, status: StackStatus, template: String = "", parameters: [String: String] = [:]) {
        stacks[name] = Stack(status: status, template: template, parameters: parameters)
    }

    /// Makes a change set exist as a crashed agent or a person left it.
    func placeChangeSet(stack: String, name: String, status: ChangeSetStatus, execution: ExecutionStatus) {
        let request = ChangeSetRequest(stackName: stack, changeSetName: name, type: .update, template: .body(""),
                                       parameters: [:], tags: [:], capabilities: [], description: "left over")
        changeSets[stack, default: [:]][name] = ChangeSet(request: request, status: status, executionStatus: execution,
                                                          pollsLeft: 0, outcome: (status, execution, nil))
    }

    /// Someone else's operation on `name` ends with `status` on the next DescribeStacks.
    func finishOthersOperation(_ name: String, status: StackStatus) {
        stacks[name]?.status = status
    }

    func count(_ method: String) -> Int { calls.filter { $0.hasPrefix(method + " ") }.count }

    // MARK: StackService

    func describeStack(name: String) throws -> ObservedStack? {
        try enter("describeStack", name)
        guard var stack = stacks[name] else { return nil }
        if !stack.upcoming.isEmpty {
            stack.status = stack.upcoming.removeFirst()
            stack.events += stack.upcomingEvents.removeFirst()
            if stack.upcoming.isEmpty, let running = stack.executing {
                changeSets[name]?[running]?.executionStatus = stack.executionSucceeds ? .executeComplete : .executeFailed
                stack.executing = nil
            }
        }
        stacks[name] = stack
        if stack.status == .deleteComplete {
            stacks[name] = nil
            changeSets[name] = nil
        }
        return try leave(ObservedStack(name: name, status: stack.status, parameters: stack.parameters,
                                       tags: stack.tags))
    }

    func createChangeSet(_ request: ChangeSetRequest) throws -> String? {
        try enter("createChangeSet", request.stackName, request.changeSetName, request.type.rawValue)
        let name = request.stackName
        if changeSets[name]?[request.changeSetName] != nil {
            throw AgentError(.rejected, "AlreadyExistsException: ChangeSet \(request.changeSetName) already exists",
                             next: .needsPerson)
        }
        switch request.type {
        case .update:
            guard let stack = stacks[name], stack.status != .reviewInProgress else {
                throw AgentError(.rejected, "ValidationError: Stack [\(name)] does not exist", next: .needsPerson)
            }
            if Self.resources(stack.template) == Self.resources(body(request)) && stack.parameters == request.parameters
                && stack.tags == request.tags && Self.directive("invalid", in: body(request)) == nil {
                if !request.parameters.isEmpty { return try leave(nil) }  // "No updates are to be performed."
                return try leave(store(request, outcome: (.failed, .unavailable, "The submitted information didn't "
                    + "contain changes. Submit different information to create a change set.")))
            }
        case .create:
            if let stack = stacks[name], stack.status != .reviewInProgress {
                throw AgentError(.rejected, "AlreadyExistsException: Stack [\(name)] already exists", next: .needsPerson)
            }
            if stacks[name] == nil {
                stacks[name] = Stack(status: .reviewInProgress)
                stacks[name]?.events.append(event(name, name, "REVIEW_IN_PROGRESS", "User Initiated"))
            }
        }
        if let reason = Self.directive("invalid", in: body(request)) {
            return try leave(store(request, outcome: (.failed, .unavailable, reason)))
        }
        return try leave(store(request, outcome: (.createComplete, .available, nil)))
    }

    func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet? {
        try enter("describeChangeSet", stack, name)
        guard var set = changeSets[stack]?[name] else { return try leave(nil) }
        if set.pollsLeft > 0 {
            set.pollsLeft -= 1
            set.status = set.pollsLeft == 0 ? set.outcome.0 : .createInProgress
            if set.pollsLeft == 0 { (set.executionStatus, set.reason) = (set.outcome.1, set.outcome.2) }
            changeSets[stack]?[name] = set
        }
        return try leave(observed(name, set))
    }

    func executeChangeSet(stack name: String, name setName: String) throws {
        try enter("executeChangeSet", name, setName)
        guard let set = changeSets[name]?[setName], set.status == .createComplete, set.executionStatus == .available,
              var stack = stacks[name] else {
            throw AgentError(.rejected, "InvalidChangeSetStatus: \(setName) cannot be executed", next: .needsPerson)
        }
        executions[setName, default: 0] += 1
        let template = body(set.request)
        let failing = Self.directive("fail", in: template)
        let creating = set.request.type == .create
        let start: StackStatus = creating ? .createInProgress : .updateInProgress
        var sequence: [(StackStatus, [StackEvent])] = [(start, [event(name, name, start.description, "User Initiated")])]
        if let failing {
            let parts = failing.split(separator: " ", maxSplits: 1).map(String.init)
            let resource = parts[0], reason = parts.count > 1 ? parts[1] : "failed"
            let failed = creating ? "CREATE_FAILED" : "UPDATE_FAILED"
            let rollingBack: StackStatus = creating ? .rollbackInProgress : .updateRollbackInProgress
            sequence.append((start, [event(name, resource, "\(creating ? "CREATE" : "UPDATE")_IN_PROGRESS", nil),
                                     event(name, resource, failed, reason)]))
            sequence.append((rollingBack, [event(name, name, rollingBack.description,
                                                 "The following resource(s) failed: [\(resource)]")]))
            let end: StackStatus = Self.directive("fail-rollback", in: template) != nil
                ? (creating ? .rollbackFailed : .updateRollbackFailed)
                : (creating ? .rollbackComplete : .updateRollbackComplete)
            sequence.append((end, [event(name, name, end.description, nil)]))
        } else {
            let end: StackStatus = creating ? .createComplete : .updateComplete
            if !creating { sequence.append((.updateCompleteCleanupInProgress, [])) }
            sequence.append((end, [event(name, name, end.description, nil)]))
            stack.template = template
            stack.parameters = set.request.parameters
            stack.tags = set.request.tags
        }
        stack.upcoming = sequence.map(\.0)
        stack.upcomingEvents = sequence.map(\.1)
        stack.executing = setName
        stack.executionSucceeds = failing == nil
        stacks[name] = stack
        changeSets[name]?[setName]?.executionStatus = .executeInProgress
        for other in (changeSets[name] ?? [:]).keys where other != setName { changeSets[name]?[other] = nil }
        try leave(())
    }

    func deleteChangeSet(stack: String, name: String) throws {
        try enter("deleteChangeSet", stack, name)
        guard changeSets[stack]?[name] != nil else {
            throw AgentError(.rejected, "ChangeSetNotFound: \(name)", next: .needsPerson)
        }
        changeSets[stack]?[name] = nil
        try leave(())
    }

    func listChangeSets(stack: String) throws -> [ObservedChangeSet] {
        try enter("listChangeSets", stack)
        let sets = (changeSets[stack] ?? [:]).sorted { $0.key < $1.key }.map { observed($0.key, $0.value) }
        return try leave(sets)
    }

    func deployedTemplate(stack: String) throws -> String? {
        try enter("deployedTemplate", stack)
        return try leave(stacks[stack]?.template)
    }

    func deleteStack(name: String) throws {
        try enter("deleteStack", name)
        if var stack = stacks[name] {
            stack.upcoming = [.deleteInProgress, .deleteComplete]
            stack.upcomingEvents = [[event(name, name, "DELETE_IN_PROGRESS", "User Initiated")], []]
            stacks[name] = stack
        }
        try leave(())
    }

    func events(stack: String, since: String?) throws -> [StackEvent] {
        try enter("events", stack)
        return try leave(Array((stacks[stack]?.events ?? []).reversed()))
    }

    // MARK: Helpers

    private var pendingCrash = false

    /// Counts the call, throws a scripted fault, or crashes before the effect.
    private func enter(_ method: String, _ arguments: String...) throws {
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
    }

    /// Returns the answer, or crashes after the effect.
    @discardableResult
    private func leave<T>(_ value: T) throws -> T {
        if pendingCrash {
            pendingCrash = false
            throw SimulatedCrash()
        }
        return value
    }

    private func store(_ request: ChangeSetRequest, outcome: (ChangeSetStatus, ExecutionStatus, String?)) -> String {
        changeSets[request.stackName, default: [:]][request.changeSetName] = ChangeSet(
            request: request, status: .createPending, executionStatus: .unavailable, pollsLeft: 2, outcome: outcome)
        return "arn:aws:cloudformation:changeSet/\(request.changeSetName)"
    }

    private func observed(_ name: String, _ set: ChangeSet) -> ObservedChangeSet {
        ObservedChangeSet(name: name, status: set.status, executionStatus: set.executionStatus, statusReason: set.reason)
    }

    private func body(_ request: ChangeSetRequest) -> String {
        switch request.template {
        case .body(let text): text
        case .url(let url): "# fetched from \(url)"
        }
    }

    private func event(_ stack: String, _ resource: String, _ status: String, _ reason: String?) -> StackEvent {
        eventCounter += 1
        clockSeconds += 1
        let time = Date(timeIntervalSince1970: Double(clockSeconds))
        return StackEvent(id: "event-\(eventCounter)", stack: stack, logicalResourceId: resource,
                          resourceType: resource == stack ? "AWS::CloudFormation::Stack" : "AWS::SQS::Queue",
                          status: status, reason: reason, time: ISO8601DateFormatter().string(from: time))
    }

    /// The template without comment lines: what CloudFormation compares.
    static func resources(_ template: String) -> String {
        template.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .joined(separator: "\n")
    }

    /// The text after `# scripted: <word>` in the template, if the line is there.
    static func directive(_ word: String, in template: String) -> String? {
        for line in template.split(separator: "\n") {
            let prefix = "# scripted: \(word)"
            guard line.hasPrefix(prefix) else { continue }
            let rest = line.dropFirst(prefix.count)
            if rest.isEmpty { return "" }
            if rest.first == " " { return String(rest.dropFirst()) }
        }
        return nil
    }
}
