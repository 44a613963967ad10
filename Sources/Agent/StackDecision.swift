/// What to do with one stack, from what CloudFormation shows of it. Pure; the deploy
/// state machine acts on it. (The stack states to clean up before a change set follow
/// aws-deployment-framework's `shared/python/cloudformation.py`.)
public enum StackDecision: Equatable, Sendable {
    /// CloudFormation says the stack runs the spec (template, parameters, tags) and it is healthy.
    case skip
    /// This agent already executed its change set for this step: follow the stack to a
    /// terminal status, never execute again.
    case follow
    /// Make (or reuse) this step's change set, of this type.
    case change(ChangeSetType)
    /// Delete the stack, wait until it is gone, then CREATE: `ROLLBACK_COMPLETE` (its
    /// first creation failed; CloudFormation cannot update it) or an empty
    /// `REVIEW_IN_PROGRESS` stack (a CREATE change set never executed).
    case deleteThenCreate(reason: String)
    /// Someone else's operation runs on the stack: wait and look again.
    case wait(reason: String)
    /// Only a person can move the stack on.
    case needsPerson(reason: String)

    /// Decides for one stack.
    /// - Parameters:
    ///   - stack: DescribeStacks' answer; `nil` when there is no such stack.
    ///   - spec: what the stack should run. It is skipped only when CloudFormation says
    ///     it runs exactly that (`ObservedStack.runs`), never because of a journal entry
    ///     or a change set's name.
    ///   - ownChangeSet: this step's change set (named for this deployment attempt), if it exists.
    ///   - executedByUs: the journal says this agent executed that change set.
    public static func decide(stack: ObservedStack?, spec: StackSpec, ownChangeSet: ObservedChangeSet?,
                              executedByUs: Bool) -> StackDecision {
        if executedByUs || ownChangeSet?.executionStatus.wasExecuted == true {
            return .follow  // a stack gone meanwhile is judged `vanished` while following
        }
        guard let stack else { return .change(.create) }
        let name = stack.name
        switch stack.status {
        case .createComplete, .updateComplete, .importComplete:
            return stack.runs(spec) ? .skip : .change(.update)
        case .updateRollbackComplete, .importRollbackComplete:
            return .change(.update)  // the last update failed and was rolled back: updatable, not "applied"
        case .deleteComplete:
            return .change(.create)
        case .rollbackComplete:
            return .deleteThenCreate(reason: "\(name) is ROLLBACK_COMPLETE: its first creation failed, so it is "
                + "deleted and created again")
        case .reviewInProgress:
            if ownChangeSet != nil { return .change(.create) }
            return .deleteThenCreate(reason: "\(name) is REVIEW_IN_PROGRESS: an empty stack left by a CREATE change "
                + "set that was never executed")
        case .createInProgress, .rollbackInProgress, .deleteInProgress, .updateInProgress,
             .updateCompleteCleanupInProgress, .updateRollbackInProgress, .updateRollbackCompleteCleanupInProgress,
             .importInProgress, .importRollbackInProgress:
            return .wait(reason: "\(name) is \(stack.status): an operation this agent did not start is running")
        case .updateRollbackFailed:
            return .needsPerson(reason: "\(name) is UPDATE_ROLLBACK_FAILED: fix the resources that failed to roll "
                + "back, then continue the rollback (aws cloudformation continue-update-rollback)")
        case .rollbackFailed, .deleteFailed, .importRollbackFailed:
            return .needsPerson(reason: "\(name) is \(stack.status): delete or repair it by hand (see its events)")
        case .createFailed, .updateFailed:
            return .needsPerson(reason: "\(name) is \(stack.status) with rollback disabled: roll it back or delete "
                + "it by hand (see its events)")
        case .other(let text):
            return .needsPerson(reason: "\(name) is \(text), a status this agent does not know; upgrade ferry")
        }
    }
}

/// What to do about this step's own change set (found by its name).
public enum ChangeSetStep: Equatable, Sendable {
    /// None exists: create it.
    case create
    /// CloudFormation is still computing it: look again.
    case await
    /// Ready and never executed: execute it (once).
    case execute
    /// It failed only because nothing would change: the stack is done, unchanged.
    case noChange
    /// It failed for a real reason: the release fails on this stack.
    case failed(reason: String)
    /// It is stale (`OBSOLETE`, or a status this agent does not know): delete it, then look again.
    case replace

    public static func judge(_ changeSet: ObservedChangeSet?) -> ChangeSetStep {
        guard let changeSet else { return .create }
        switch changeSet.status {
        case .createPending, .createInProgress:
            return .await
        case .createComplete:
            switch changeSet.executionStatus {
            case .available: return .execute
            case .unavailable: return .await
            case .obsolete, .unknown: return .replace
            case .executeInProgress, .executeComplete, .executeFailed: return .await  // decided by `StackDecision`
            }
        case .failed:
            if changeSet.isNoChange { return .noChange }
            return .failed(reason: changeSet.statusReason ?? "the change set failed without a reason")
        case .deletePending, .deleteInProgress, .deleteComplete:
            return .await  // a deletion this agent asked for: wait until it is gone, then create
        case .deleteFailed:
            return .failed(reason: "deleting the stale change set \(changeSet.name) failed: delete it by hand")
        case .unknown:
            return .replace
        }
    }
}

/// How an executed change set's stack operation stands.
public enum OperationVerdict: Equatable, Sendable {
    /// Still running (or not started yet): look again.
    case running
    /// Terminal success.
    case succeeded
    /// Terminal failure after CloudFormation's own rollback: the stack runs what it ran before.
    case rolledBack(status: StackStatus)
    /// Terminal failure a person must clear (`UPDATE_ROLLBACK_FAILED`, `ROLLBACK_FAILED`...).
    case needsPerson(status: StackStatus)
    /// The stack is gone: someone deleted it meanwhile.
    case vanished

    /// Judges DescribeStacks together with the change set's `ExecutionStatus`: right
    /// after ExecuteChangeSet the stack may still show its previous terminal status, so
    /// an `AVAILABLE` or `EXECUTE_IN_PROGRESS` change set means "still running".
    public static func judge(stack: ObservedStack?, changeSet: ObservedChangeSet?) -> OperationVerdict {
        guard let stack else { return .vanished }
        if let execution = changeSet?.executionStatus, execution == .available || execution == .executeInProgress {
            return stack.status == .deleteComplete ? .vanished : .running
        }
        switch stack.status {
        case .createComplete, .updateComplete, .importComplete:
            return .succeeded
        case .updateRollbackComplete, .rollbackComplete, .importRollbackComplete:
            return .rolledBack(status: stack.status)
        case .updateRollbackFailed, .rollbackFailed, .createFailed, .updateFailed, .deleteFailed,
             .importRollbackFailed, .other:
            return .needsPerson(status: stack.status)
        case .deleteComplete:
            return .vanished
        case .createInProgress, .rollbackInProgress, .deleteInProgress, .updateInProgress,
             .updateCompleteCleanupInProgress, .updateRollbackInProgress, .updateRollbackCompleteCleanupInProgress,
             .importInProgress, .importRollbackInProgress, .reviewInProgress:
            return .running
        }
    }
}

/// How a stack the agent asked to delete stands.
public enum DeletionVerdict: Equatable, Sendable {
    case gone
    case running
    case failed(reason: String)

    public static func judge(_ stack: ObservedStack?) -> DeletionVerdict {
        guard let stack else { return .gone }
        switch stack.status {
        case .deleteComplete:
            return .gone
        case .deleteFailed:
            return .failed(reason: "deleting \(stack.name) failed (\(stack.statusReason ?? "no reason given")); "
                + "delete it by hand")
        case .deleteInProgress, .rollbackComplete, .reviewInProgress:
            return .running  // the delete has not shown yet, or is running
        case .createInProgress, .createFailed, .createComplete, .rollbackInProgress, .rollbackFailed,
             .updateInProgress, .updateCompleteCleanupInProgress, .updateComplete, .updateFailed,
             .updateRollbackInProgress, .updateRollbackFailed, .updateRollbackCompleteCleanupInProgress,
             .updateRollbackComplete, .importInProgress, .importComplete, .importRollbackInProgress,
             .importRollbackFailed, .importRollbackComplete, .other:
            return .failed(reason: "\(stack.name) became \(stack.status) while this agent was deleting it: "
                + "someone else is working on it")
        }
    }
}

/// The failing resource and reason of an operation, from its stack events (newest
/// first): the oldest resource `*_FAILED` event after the operation's start.
public func firstFailure(in events: [StackEvent], stack: String) -> (resource: String, reason: String)? {
    let operation = operationEvents(in: events, stack: stack).filter { !isOperationStart($0) }
    let failure = operation.reversed().first { !$0.isAboutStack && $0.status.hasSuffix("_FAILED") }
        ?? operation.reversed().first { $0.status.hasSuffix("_FAILED") || ($0.isAboutStack && $0.reason != nil) }
    guard let failure else { return nil }
    let resource = failure.isAboutStack ? stack : "\(stack)/\(failure.logicalResourceId)"
    return (resource, failure.reason ?? failure.status)
}

/// The events of the newest operation (newest first), down to and including the stack's
/// own `CREATE_IN_PROGRESS` / `UPDATE_IN_PROGRESS` / `IMPORT_IN_PROGRESS` that started it.
public func operationEvents(in events: [StackEvent], stack: String) -> [StackEvent] {
    var operation: [StackEvent] = []
    for event in events {
        operation.append(event)
        if isOperationStart(event) { break }
    }
    return operation
}

/// The stack's own event that starts an operation (`CREATE_IN_PROGRESS`, `UPDATE_IN_PROGRESS`...).
func isOperationStart(_ event: StackEvent) -> Bool {
    event.isAboutStack && ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "IMPORT_IN_PROGRESS"].contains(event.status)
}
