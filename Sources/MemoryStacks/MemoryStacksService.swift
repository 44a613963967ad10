import Agent
import AWS
import Foundation
import Manifest

/// The `StackService` calls, answered from memory.
extension MemoryStacks {
    public func describeStack(name: String) throws -> ObservedStack? {
        locked {
            count("DescribeStacks")
            settle(name)
            guard let entry = stacks[name] else { return nil }
            return ObservedStack(name: name, status: entry.status, statusReason: entry.statusReason,
                                 parameters: entry.deployed?.parameters ?? [:], tags: entry.deployed?.tags ?? [:])
        }
    }

    public func deployedTemplate(stack: String) throws -> String? {
        try locked {
            count("GetTemplate")
            settle(stack)
            guard let entry = stacks[stack] else { throw Self.missingStack(stack) }
            return entry.deployed?.template
        }
    }

    public func createChangeSet(_ request: ChangeSetRequest) throws -> String? {
        try locked {
            count("CreateChangeSet")
            let name = request.stackName
            settle(name)
            triggers[name] = request.rollbackTriggers
            guard request.changeSetName.count <= 128, request.changeSetName.first?.isLetter == true,
                  request.changeSetName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw Self.validation("1 validation error detected: Value '\(request.changeSetName)' at "
                    + "'changeSetName' failed to satisfy constraint: [a-zA-Z][-a-zA-Z0-9]*, at most 128 characters")
            }
            if stacks[name]?.changeSets[request.changeSetName] != nil {
                throw AgentError(.rejected, "CloudFormation refused CreateChangeSet \(request.changeSetName) of "
                    + "\(name): AlreadyExistsException: ChangeSet \(request.changeSetName) already exists",
                    next: .needsPerson)
            }
            let body = Self.body(request)
            let invalid = Self.invalidMarker(in: body)
            switch request.type {
            case .create:
                if let entry = stacks[name], entry.status != .reviewInProgress {
                    throw AgentError(.rejected, "CloudFormation refused CreateChangeSet \(request.changeSetName): "
                        + "AlreadyExistsException: Stack [\(name)] already exists", next: .needsPerson)
                }
                if stacks[name] == nil {
                    var entry = StackEntry(id: nextStackId(name), status: .reviewInProgress)
                    entry.events.append(event(name, entry, resource: name, status: "REVIEW_IN_PROGRESS",
                                              reason: "User Initiated", at: clock.now()))
                    stacks[name] = entry
                }
            case .update:
                guard let entry = stacks[name], entry.status != .reviewInProgress, let deployed = entry.deployed else {
                    throw Self.missingStack(name)
                }
                if entry.operation != nil || !Self.updatable.contains(entry.status) {
                    throw Self.validation("Stack:\(entry.id) is in \(entry.status) state and can not be updated.")
                }
                let unchanged = Self.resources(deployed.template) == Self.resources(body)
                    && deployed.parameters == request.parameters && deployed.tags == request.tags
                if unchanged && invalid == nil && flavour == .moto && !request.parameters.isEmpty {
                    return nil  // moto: ValidationError "No updates are to be performed."
                }
                if unchanged && invalid == nil {
                    return store(request, failure: "The submitted information didn't contain changes. Submit "
                        + "different information to create a change set.")
                }
            }
            return store(request, failure: invalid)
        }
    }

    public func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet? {
        locked {
            count("DescribeChangeSet")
            settle(stack)
            return stacks[stack]?.changeSets[name].map { observed(name, $0) }
        }
    }

    public func executeChangeSet(stack name: String, name setName: String) throws {
        try locked {
            count("ExecuteChangeSet")
            settle(name)
            guard var entry = stacks[name], let set = entry.changeSets[setName] else {
                throw AgentError(.rejected, "CloudFormation refused ExecuteChangeSet \(setName) of \(name): "
                    + "ChangeSetNotFound: ChangeSet [\(setName)] does not exist", next: .needsPerson)
            }
            let now = clock.now()
            guard isComputed(set, now: now), set.failure == nil, set.placed ?? .createComplete == .createComplete,
                  set.executionStatus == .available,
                  entry.operation == nil else {
                throw AgentError(.rejected, "CloudFormation refused ExecuteChangeSet \(setName) of \(name): "
                    + "InvalidChangeSetStatus: ChangeSet [\(set.id)] cannot be executed in its current status",
                    next: .needsPerson)
            }
            let body = Self.body(set.request)
            entry.operation = Operation(
                kind: set.request.type == .create ? .create : .update, startedAt: now, changeSet: setName,
                target: Deployed(template: body, parameters: set.request.parameters, tags: set.request.tags),
                failure: failure(for: set.request, body: body))
            entry.changeSets[setName]?.executionStatus = .executeInProgress
            if flavour == .aws { entry.changeSets = entry.changeSets.filter { $0.key == setName } }
            stacks[name] = entry
            settle(name)
        }
    }

    public func deleteChangeSet(stack: String, name: String) throws {
        try locked {
            count("DeleteChangeSet")
            guard let set = stacks[stack]?.changeSets[name] else { return }  // gone: what was asked for
            if set.executionStatus == .executeInProgress {
                throw AgentError(.rejected, "CloudFormation refused DeleteChangeSet \(name): InvalidChangeSetStatus: "
                    + "it is being executed", next: .needsPerson)
            }
            stacks[stack]?.changeSets[name] = nil
        }
    }

    public func listChangeSets(stack: String) throws -> [ObservedChangeSet] {
        locked {
            count("ListChangeSets")
            settle(stack)
            return (stacks[stack]?.changeSets ?? [:]).sorted { $0.key < $1.key }.map { observed($0.key, $0.value) }
        }
    }

    public func deleteStack(name: String) throws {
        try locked {
            count("DeleteStack")
            settle(name)
            guard var entry = stacks[name] else { return }  // AWS: deleting no stack succeeds
            if entry.operation?.kind == .delete { return }
            if entry.operation != nil {
                throw Self.validation("Stack [\(name)] cannot be deleted while in status \(entry.status)")
            }
            entry.operation = Operation(kind: .delete, startedAt: clock.now())
            stacks[name] = entry
            settle(name)
        }
    }

    public func events(stack: String, since: String?) throws -> [StackEvent] {
        try locked {
            count("DescribeStackEvents")
            settle(stack)
            guard let entry = stacks[stack] else { throw Self.missingStack(stack) }
            let after = since.flatMap(Timestamp.parse)
            return entry.events.reversed().filter { event in
                guard let after else { return true }
                return (Timestamp.parse(event.time) ?? .distantFuture) >= after
            }
        }
    }

    public func recentEvents(stack: String) throws -> [StackEvent] {
        locked {
            count("DescribeStackEvents")
            settle(stack)
            let all = stacks[stack]?.events ?? []
            let start = lastSeen[stack].flatMap { seen in all.firstIndex { $0.id == seen }.map { $0 + 1 } }
            guard let newest = all.last else { return [] }
            lastSeen[stack] = newest.id
            if let start { return Array(all[start...]) }
            // The first look: only the operation running now.
            let operation = operationEvents(in: all.reversed(), stack: stack)
            return operation.last.map { $0.isAboutStack && $0.status.hasSuffix("_IN_PROGRESS") } == true
                ? operation.reversed() : []
        }
    }

    // MARK: Helpers

    static let updatable: Set<StackStatus> = [.createComplete, .updateComplete, .updateRollbackComplete,
                                               .importComplete, .importRollbackComplete]

    /// Runs `body` under the lock (untyped throws: typed-throws closures crash this compiler here).
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func count(_ action: String) { requestCounts[action, default: 0] += 1 }

    func store(_ request: ChangeSetRequest, failure: String?) -> String {
        idCounter += 1
        let id = "arn:aws:cloudformation:\(region):\(account):changeSet/\(request.changeSetName)/\(idCounter)"
        stacks[request.stackName]?.changeSets[request.changeSetName] = ChangeSetEntry(
            id: id, request: request, createdAt: clock.now(), failure: failure,
            executionStatus: failure == nil ? .available : .unavailable)
        return id
    }

    func observed(_ name: String, _ set: ChangeSetEntry) -> ObservedChangeSet {
        if let placed = set.placed {
            return ObservedChangeSet(name: name, status: placed, executionStatus: set.executionStatus)
        }
        guard isComputed(set, now: clock.now()) else {
            return ObservedChangeSet(name: name, status: .createPending, executionStatus: .unavailable)
        }
        if let failure = set.failure {
            return ObservedChangeSet(name: name, status: .failed, executionStatus: .unavailable, statusReason: failure)
        }
        return ObservedChangeSet(name: name, status: .createComplete, executionStatus: set.executionStatus)
    }

    static func body(_ request: ChangeSetRequest) -> String {
        switch request.template {
        case .body(let text): text
        case .url(let url): "# fetched from \(url)"
        }
    }

    static func validation(_ message: String) -> AgentError {
        AgentError(.rejected, "CloudFormation refused the call: ValidationError: \(message)", next: .needsPerson)
    }

    static func missingStack(_ name: String) -> AgentError {
        validation("Stack with id \(name) does not exist")
    }
}
