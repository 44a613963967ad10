import Agent
import AWS
import Foundation
import Manifest

/// The stacks' state and how the clock moves it on. Every function here runs under `lock`.
extension MemoryStacks {
    struct StackEntry {
        var id: String
        var status: StackStatus
        var statusReason: String?
        /// What the stack runs; nil while a first creation has not completed.
        var deployed: Deployed?
        var changeSets: [String: ChangeSetEntry] = [:]
        var operation: Operation?
        /// Oldest first.
        var events: [StackEvent] = []
    }

    struct ChangeSetEntry {
        var id: String
        var request: ChangeSetRequest
        var createdAt: Date
        /// Set once computed: `CREATE_COMPLETE`, or `FAILED` with this reason.
        var failure: String?
        var executionStatus: ExecutionStatus = .unavailable
        /// The status of a change set someone else left (`placeChangeSet`).
        var placed: ChangeSetStatus?
    }

    /// A running stack operation: what it does, when it began, how it ends.
    struct Operation {
        enum Kind { case create, update, delete }
        var kind: Kind
        var startedAt: Date
        var changeSet: String?
        var target: Deployed?
        var failure: FailureRule?
        /// Phases already shown (each adds its events once).
        var shown = 0
    }

    func nextStackId(_ name: String) -> String {
        idCounter += 1
        return "arn:aws:cloudformation:\(region):\(account):stack/\(name)/\(idCounter)"
    }

    func event(_ stack: String, _ entry: StackEntry, resource: String, status: String, reason: String? = nil,
               at time: Date) -> StackEvent {
        eventCounter += 1
        return StackEvent(id: "\(entry.id)-event-\(eventCounter)", stack: stack, logicalResourceId: resource,
                          resourceType: resource == stack ? "AWS::CloudFormation::Stack" : "AWS::SQS::Queue",
                          status: status, reason: reason, time: Timestamp.format(time))
    }

    /// Whether the change set is computed at `now`.
    func isComputed(_ set: ChangeSetEntry, now: Date) -> Bool {
        now.timeIntervalSince(set.createdAt) >= latency.changeSet
    }

    /// Moves `name`'s running operation on to where the clock says it is, adding the
    /// events of each phase reached, stamped at the time the phase began.
    func settle(_ name: String) {
        guard var entry = stacks[name], var operation = entry.operation else { return }
        let now = clock.now()
        let phases = phases(of: operation)
        var keep = true
        while operation.shown < phases.count {
            let phase = phases[operation.shown]
            let at = operation.startedAt.addingTimeInterval(phase.after)
            guard now >= at else { break }
            operation.shown += 1
            entry.status = phase.status
            for (resource, status, reason) in phase.events {
                entry.events.append(event(name, entry, resource: resource.isEmpty ? name : resource, status: status, reason: reason, at: at))
            }
            if operation.shown == phases.count {
                keep = finish(&entry, operation)
            }
        }
        entry.operation = operation.shown < phases.count ? operation : nil
        stacks[name] = keep ? entry : nil
    }

    struct Phase {
        var after: Double
        var status: StackStatus
        var events: [(String, String, String?)]
    }

    /// The phases of an operation, each `after` seconds from its start.
    func phases(of operation: Operation) -> [Phase] {
        switch operation.kind {
        case .delete:
            return [Phase(after: 0, status: .deleteInProgress, events: [("", "DELETE_IN_PROGRESS", "User Initiated")]),
                    Phase(after: latency.delete, status: .deleteComplete, events: [("", "DELETE_COMPLETE", nil)])]
        case .create, .update:
            let creating = operation.kind == .create
            let start: StackStatus = creating ? .createInProgress : .updateInProgress
            let duration = creating ? latency.create : latency.update
            guard let failure = operation.failure else {
                let end: StackStatus = creating ? .createComplete : .updateComplete
                return [Phase(after: 0, status: start, events: [("", start.description, "User Initiated")]),
                        Phase(after: duration, status: end, events: [("", end.description, nil)])]
            }
            let rolling: StackStatus = creating ? .rollbackInProgress : .updateRollbackInProgress
            let end: StackStatus = failure.rollbackFails
                ? (creating ? .rollbackFailed : .updateRollbackFailed)
                : (creating ? .rollbackComplete : .updateRollbackComplete)
            let verb = creating ? "CREATE" : "UPDATE"
            return [
                Phase(after: 0, status: start, events: [("", start.description, "User Initiated"),
                                                        (failure.resource, "\(verb)_IN_PROGRESS", nil)]),
                Phase(after: duration, status: rolling, events: [
                    (failure.resource, "\(verb)_FAILED", failure.reason),
                    ("", rolling.description, "The following resource(s) failed to \(verb.lowercased()): "
                        + "[\(failure.resource)]. "),
                ]),
                Phase(after: duration + latency.rollback, status: end, events: [
                    (failure.resource, failure.rollbackFails ? "\(verb)_FAILED" : (creating ? "DELETE_COMPLETE"
                        : "UPDATE_COMPLETE"), failure.rollbackFails ? "rollback of \(failure.resource) failed" : nil),
                    ("", end.description, nil),
                ]),
            ]
        }
    }

    /// The end of an operation; false when the stack is gone.
    func finish(_ entry: inout StackEntry, _ operation: Operation) -> Bool {
        if operation.kind == .delete { return false }
        let succeeded = operation.failure == nil
        if succeeded { entry.deployed = operation.target }
        if let name = operation.changeSet {
            entry.changeSets[name]?.executionStatus = succeeded ? .executeComplete : .executeFailed
        }
        return true
    }

    /// The failure an execution of `request` meets: the template's marker, else a rule.
    func failure(for request: ChangeSetRequest, body: String) -> FailureRule? {
        if let marked = Self.marker(in: body) { return marked }
        guard let index = rules.firstIndex(where: { $0.stack == nil || $0.stack == request.stackName }) else {
            return nil
        }
        let rule = rules[index]
        if let times = rule.times {
            if times <= 1 { rules.remove(at: index) } else { rules[index].times = times - 1 }
        }
        return rule
    }

    /// The stand-in's marker: `FerryTestFailure: {resource: Queue, reason: "..."}`, with
    /// `rollbackFails: true` inside the braces for a rollback that fails too.
    static func marker(in body: String) -> FailureRule? {
        guard let line = body.split(separator: "\n").first(where: { $0.contains("FerryTestFailure:") }),
              let resource = field("resource", in: line), let reason = quoted("reason", in: line) else { return nil }
        return FailureRule(resource: resource, reason: reason, rollbackFails: line.contains("rollbackFails: true"))
    }

    /// `FerryTestInvalid: "reason"`: CloudFormation refuses the change set (`FAILED`, reason).
    static func invalidMarker(in body: String) -> String? {
        guard let line = body.split(separator: "\n").first(where: { $0.contains("FerryTestInvalid:") }),
              let range = line.range(of: "FerryTestInvalid: \"") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != "\"" })
    }

    private static func field(_ key: String, in line: Substring) -> String? {
        guard let range = line.range(of: key + ":") else { return nil }
        let value = line[range.upperBound...].drop { $0 == " " }.prefix { $0.isLetter || $0.isNumber }
        return value.isEmpty ? nil : String(value)
    }

    private static func quoted(_ key: String, in line: Substring) -> String? {
        guard let range = line.range(of: key + ": \"") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The template without comment lines and trailing blanks: what CloudFormation compares.
    static func resources(_ template: String) -> String {
        template.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : String($0) }
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
