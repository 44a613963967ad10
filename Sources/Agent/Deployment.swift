import Foundation
import Manifest

/// The deploy state machine of one release (DESIGN.md, "The agent, as a state machine",
/// steps 6–8): each event method takes what was observed and returns the `Action`s to
/// carry out — journal lines, one CloudFormation call, or the end. Pure: no I/O.
///
/// Per stack, in apply order: observe; skip when applied and healthy; otherwise clean up
/// (leftover change sets, a `ROLLBACK_COMPLETE` or empty `REVIEW_IN_PROGRESS` stack),
/// create or reuse the step's change set (named for this attempt), execute it once,
/// follow the stack to a terminal status. When a stack fails, the stacks this release
/// moved are returned, in reverse order, to what the journal says they ran before.
public struct Deployment: Sendable {
    /// What survives a crash; the `Applier` saves it with every journal write.
    public private(set) var state: DeploymentState
    public let timing: Timing
    /// What the machine waits for now, with what it needs to go on.
    public private(set) var stage: Stage = .starting
    /// Transient failures retried so far in a row.
    private var attempts = 0
    /// Polls of the current wait so far (the first looks come sooner; see `Timing.firstPoll`).
    private var polls = 0
    private let resumed: Bool

    /// What the machine waits for (not saved: a restarted agent observes again). Each
    /// event method acts only in the stage that awaits it; in any other it suspends the
    /// deployment with an internal error.
    public enum Stage: Equatable, Sendable {
        /// `start()` has not run.
        case starting
        /// The answer to this call: DescribeStacks, CreateChangeSet, ExecuteChangeSet...
        case awaiting(StackCall)
        /// The answers to this `follow` call while an executed operation runs; `since` is
        /// when this agent executed it (nil when it was found executed).
        case following(StackCall, since: Date?)
        /// The stack events of a failed operation, read to say why it failed.
        case readingEvents(StackCall, verdict: OperationVerdict)
        /// This run is over.
        case done
    }

    /// A new deployment of `plan` (whose stacks carry the journal's records); `attempt`
    /// names its change sets (`DeployPlan.attemptID`).
    public init(plan: DeployPlan, now: Date, attempt: String, timing: Timing = Timing()) {
        state = DeploymentState(plan: plan, attempt: attempt, startedAt: Timestamp.format(now))
        self.timing = timing
        resumed = false
    }

    /// A deployment read back from the journal: it resumes by observing the current stack.
    public init(resuming state: DeploymentState, timing: Timing = Timing()) {
        self.state = state
        self.state.waiting = nil
        self.timing = timing
        resumed = true
    }

    /// A deployment in `stage` (tests build each stage directly and feed it events).
    public init(state: DeploymentState, stage: Stage, timing: Timing = Timing()) {
        self.state = state
        self.stage = stage
        self.timing = timing
        resumed = true
    }

    /// A newer target arrived: finish at the next safe point (after following any
    /// operation this agent started), without reverting.
    public mutating func supersede() {
        state.superseded = true
    }

    // MARK: Events

    /// The first event of a run: begins (or resumes) the deployment.
    public mutating func start() -> [Action] {
        let plan = state.plan
        let note: JournalNote = resumed
            ? .step(stack: nil, step: "resume", phase: .begin, detail: "\(state.phase.name), step \(state.index + 1)")
            : .step(stack: nil, step: "deploy", phase: .begin,
                    detail: "\(plan.target.describe(pipeline: plan.pipeline)) from \(plan.folder)")
        return [.record(note)] + advance()
    }

    /// DescribeStacks (and ListChangeSets when the stack exists) answered.
    public mutating func observed(stack: ObservedStack?, changeSets: [ObservedChangeSet], now: Date) -> [Action] {
        guard expect(.observe) else { return unexpected("observed") }
        guard let step = currentStep() else { return lostPosition() }
        if state.deleting == step.name {
            // Resuming a deletion: if it never started (a crash before DeleteStack took
            // effect), ask again — DeleteStack is idempotent.
            if let status = stack?.status, status == .rollbackComplete || status == .reviewInProgress {
                return perform(.deleteStack, detail: "again: the deletion had not started")
            }
            return deletionPolled(stack: stack)
        }
        let own = changeSets.first { $0.name == step.changeSetName }
        let decision = StackDecision.decide(
            stack: stack, spec: step.spec, ownChangeSet: own, executedByUs: state.executed.contains(step.changeSetName))
        if case .wait = decision {} else { state.busySince = nil }
        if state.superseded && decision != .follow { return finishSuperseded() }
        switch decision {
        case .skip:
            return stackDone(changed: false, detail: "skipped: already applied and \(stack?.status.description ?? "")",
                             record: false)
        case .follow:
            return follow(after: 0, since: nil)
        case .change(let type):
            let leftovers = changeSets.filter { set in
                set.name.hasPrefix(DeployPlan.changeSetPrefix) && set.name != step.changeSetName
                    && !set.executionStatus.wasExecuted && !Self.isBeingDeleted(set)
            }.map(\.name)
            if !leftovers.isEmpty { return deleteChangeSets(leftovers) }
            return act(on: own, type: type)
        case .deleteThenCreate(let reason):
            state.deleting = step.name
            return perform(.deleteStack, detail: reason)
        case .wait(let reason):
            let since = state.busySince.flatMap(Timestamp.parse) ?? now
            if state.busySince == nil { state.busySince = Timestamp.format(now) }
            if now.timeIntervalSince(since) >= timing.busyLimit {
                return suspend(AgentError(.stackBusy, "\(reason) for more than \(Int(timing.busyLimit)) s: find out "
                    + "who is changing it", next: .needsPerson, resource: step.name))
            }
            return suspend(AgentError(.stackBusy, "\(reason); the agent looks again in \(Int(timing.busyRetry)) s",
                                      next: .waitAndRetry(after: timing.busyRetry), resource: step.name))
        case .needsPerson(let reason):
            return suspend(AgentError(.stackNeedsPerson, reason, next: .needsPerson, resource: step.name))
        }
    }

    /// DeleteChangeSet answered for every leftover.
    public mutating func changeSetsDeleted() -> [Action] {
        guard expect(.deleteChangeSets) else { return unexpected("changeSetsDeleted") }
        return [ended("delete-change-sets", "deleted")] + observe(after: 0)
    }

    /// DeleteStack answered.
    public mutating func stackDeletionStarted() -> [Action] {
        guard expect(.deleteStack) else { return unexpected("stackDeletionStarted") }
        return [ended("delete-stack", "deletion started")] + call(.awaitDeletion, after: pollDelay(timing.stackPoll))
    }

    /// DescribeStacks answered while a deletion runs.
    public mutating func deletionPolled(stack: ObservedStack?) -> [Action] {
        guard expect(.awaitDeletion) || isAwaiting(.observe) else { return unexpected("deletionPolled") }
        guard let step = currentStep() else { return lostPosition() }
        switch DeletionVerdict.judge(stack) {
        case .gone:
            state.deleting = nil
            if state.superseded { return finishSuperseded() }
            return [.record(.step(stack: step.name, step: "stack-deleted", phase: .end, detail: "gone"))]
                + act(on: nil, type: .create)
        case .running:
            return call(.awaitDeletion, after: pollDelay(timing.stackPoll))
        case .failed(let reason):
            return suspend(AgentError(.stackNeedsPerson, reason, next: .needsPerson, resource: step.name))
        }
    }

    /// CreateChangeSet answered: its id, or `nil` for "No updates are to be performed".
    public mutating func changeSetCreated(id: String?) -> [Action] {
        guard expect(.createChangeSet) else { return unexpected("changeSetCreated") }
        guard let step = currentStep() else { return lostPosition() }
        guard id != nil else {
            return [ended("create-change-set", "no updates are to be performed")]
                + stackDone(changed: false, detail: "no changes", record: true)
        }
        return [ended("create-change-set", "created")]
            + call(.awaitChangeSet(name: step.changeSetName), after: pollDelay(timing.changeSetPoll))
    }

    /// DescribeChangeSet answered while CloudFormation computes the change set.
    public mutating func changeSetPolled(_ changeSet: ObservedChangeSet?) -> [Action] {
        guard expect(.awaitChangeSet) else { return unexpected("changeSetPolled") }
        guard let changeSet else { return observe(after: pollDelay(timing.changeSetPoll)) }
        if changeSet.executionStatus.wasExecuted { return follow(after: 0, since: nil) }
        return act(on: changeSet, type: nil)
    }

    /// ExecuteChangeSet answered.
    public mutating func changeSetExecuted(now: Date) -> [Action] {
        guard expect(.executeChangeSet) else { return unexpected("changeSetExecuted") }
        guard let step = currentStep() else { return lostPosition() }
        state.executed.append(step.changeSetName)
        return [ended("execute-change-set", "executing")] + follow(after: pollDelay(timing.stackPoll), since: now)
    }

    /// DescribeStacks and DescribeChangeSet answered while the executed operation runs.
    public mutating func followed(stack: ObservedStack?, changeSet: ObservedChangeSet?, now: Date) -> [Action] {
        guard case .following(let call, let since) = stage else { return unexpected("followed") }
        attempts = 0
        guard let step = currentStep() else { return lostPosition() }
        let verdict = OperationVerdict.judge(stack: stack, changeSet: changeSet)
        switch verdict {
        case .running:
            return follow(after: pollDelay(timing.stackPoll), since: since)
        case .succeeded:
            state.remember([StackEvent(id: "", stack: step.name, logicalResourceId: step.name,
                                       status: stack?.status.description ?? "", time: Timestamp.format(now))])
            return stackDone(changed: true, detail: stack?.status.description ?? "", record: true)
        case .rolledBack, .needsPerson:
            let read = StackCall(stack: call.stack, region: call.region,
                                 request: .readEvents(since: since.map { Timestamp.format($0.addingTimeInterval(-900)) }))
            stage = .readingEvents(read, verdict: verdict)
            return [.perform(read, after: 0)]
        case .vanished:
            return stackFailed(AgentError(.stackVanished, "\(step.name) disappeared while this agent was updating it; "
                + "find out who deleted it", next: .needsPerson, resource: step.name))
        }
    }

    /// DescribeStackEvents answered after a failed operation (newest first).
    public mutating func eventsRead(_ events: [StackEvent]) -> [Action] {
        guard case .readingEvents(_, let verdict) = stage else { return unexpected("eventsRead") }
        guard let step = currentStep() else { return lostPosition() }
        state.remember(Array(operationEvents(in: events, stack: step.name).reversed()))
        let cause = firstFailure(in: events, stack: step.name)
        let resource = cause?.resource ?? step.name
        let reason = cause?.reason ?? "no reason in the stack events"
        switch verdict {
        case .needsPerson(let status):
            return stackFailed(AgentError(.stackNeedsPerson, "\(step.name) is \(status) after \(resource) failed: "
                + "\(reason); a person must repair it (see its events)", next: .needsPerson, resource: resource))
        case .rolledBack(let status):
            return stackFailed(AgentError(.stackFailed, "\(resource) failed: \(reason); CloudFormation rolled "
                + "\(step.name) back (\(status))", next: .needsPerson, resource: resource))
        case .running, .succeeded, .vanished:
            return unexpected("eventsRead after \(verdict)")
        }
    }

    /// A call failed. Transient failures are retried (a failed change is observed
    /// again first); others suspend the deployment, or fail the stack when
    /// CloudFormation refused the change set's template or parameters.
    public mutating func callFailed(_ error: AgentError) -> [Action] {
        guard let failedCall = stage.call else { return unexpected("callFailed") }
        var actions: [Action] = []
        if failedCall.isMutating { actions.append(ended(failedCall.stepName, "failed: \(error.message)")) }
        if failedCall.request.kind == .createChangeSet && error.code == .rejected {
            return actions + stackFailed(AgentError(.changeSetFailed, "CloudFormation refused the change set for "
                + "\(failedCall.stack): \(error.message)", next: .needsPerson, resource: failedCall.stack, cause: error))
        }
        guard error.next == .transient, attempts < timing.backoff.count else {
            return actions + suspend(error)
        }
        let delay = timing.backoff[attempts]
        attempts += 1
        if failedCall.isMutating { return actions + observe(after: delay) }
        return actions + [.perform(failedCall, after: delay)]
    }

    // MARK: Steps

    private struct Step {
        var name: String
        var spec: StackSpec
        var changeSetName: String
        var success: StackRecord
    }

    /// The stack being worked on, in the current phase; nil when the saved position
    /// names none (a damaged journal: `lostPosition`).
    private func currentStep() -> Step? {
        let plan = state.plan
        switch state.phase {
        case .forward:
            guard plan.stacks.indices.contains(state.index) else { return nil }
            let planned = plan.stacks[state.index]
            return Step(name: planned.spec.name, spec: planned.spec, changeSetName: plan.changeSetName(for: planned.spec, attempt: state.attempt),
                        success: plan.record(for: planned.spec))
        case .reverting:
            let queue = revertQueue
            guard queue.indices.contains(state.index) else { return nil }
            let name = queue[state.index]
            // Stacks without an earlier version are left in place by `advance`, never reverted.
            guard let planned = plan.stacks.first(where: { $0.spec.name == name }), let previous = planned.previous
            else { return nil }
            return Step(name: name, spec: previous.spec, changeSetName: plan.rollbackChangeSetName(for: previous.spec, attempt: state.attempt),
                        success: previous)
        }
    }

    private var revertQueue: [String] { Array(state.moved.reversed()) }

    /// Moves to the next stack of the phase, or finishes.
    private mutating func advance() -> [Action] {
        if state.superseded { return finishSuperseded() }
        switch state.phase {
        case .forward:
            guard state.index < state.plan.stacks.count else { return finishApplied() }
            return observe(after: 0)
        case .reverting:
            var actions: [Action] = []
            let queue = revertQueue
            while state.index < queue.count {
                let name = queue[state.index]
                if state.plan.stacks.first(where: { $0.spec.name == name })?.previous != nil {
                    return actions + observe(after: 0)
                }
                state.leftInPlace.append(name)
                actions.append(.record(.stackForgotten(name)))
                actions.append(.record(.step(stack: name, step: "leave-in-place", phase: .end,
                                             detail: "new in this release: no earlier version to return to")))
                state.index += 1
            }
            guard case .reverting(let failedStack, let failure) = state.phase else { return actions + lostPosition() }
            return actions + finishFailed(failure, failedStack: failedStack)
        }
    }

    /// What to do with this step's own change set: create, wait, execute, or conclude.
    private mutating func act(on own: ObservedChangeSet?, type: ChangeSetType?) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        switch ChangeSetStep.judge(own) {
        case .create:
            guard let type else { return observe(after: pollDelay(timing.changeSetPoll)) }
            return perform(.createChangeSet(name: step.changeSetName, type: type, spec: step.spec),
                           detail: "\(step.changeSetName) (\(type.rawValue))")
        case .await:
            return call(.awaitChangeSet(name: step.changeSetName), after: pollDelay(timing.changeSetPoll))
        case .execute:
            if state.superseded { return finishSuperseded() }
            return perform(.executeChangeSet(name: step.changeSetName), detail: step.changeSetName)
        case .noChange:
            return stackDone(changed: false, detail: "no changes", record: true)
        case .failed(let reason):
            return stackFailed(AgentError(.changeSetFailed, "the change set \(step.changeSetName) for \(step.name) "
                + "failed: \(reason)", next: .needsPerson, resource: step.name))
        case .replace:
            return deleteChangeSets([step.changeSetName])
        }
    }

    private mutating func stackDone(changed: Bool, detail: String, record: Bool) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        var actions: [Action] = [.record(.step(stack: step.name, step: "stack", phase: .end,
                                              detail: (changed ? "changed: " : "unchanged: ") + detail))]
        if record { actions.append(.record(.stackApplied(step.success))) }
        switch state.phase {
        case .forward: if changed { state.moved.append(step.name) } else { state.unchanged.append(step.name) }
        case .reverting: state.reverted.append(step.name)
        }
        state.index += 1
        attempts = 0
        return actions + advance()
    }

    private mutating func stackFailed(_ error: AgentError) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        var actions: [Action] = [.record(.step(stack: step.name, step: "stack", phase: .end,
                                              detail: "failed: \(error.message)"))]
        if state.superseded { return actions + finishSuperseded() }
        switch state.phase {
        case .forward:
            let failure = FailureRecord(error)
            if error.code == .stackNeedsPerson || error.code == .stackVanished {
                return actions + finishFailed(failure, failedStack: step.name)
            }
            state.phase = .reverting(failedStack: step.name, failure: failure)
            state.index = 0
            let moved = revertQueue.joined(separator: ", ")
            actions.append(.record(.step(stack: nil, step: "revert", phase: .begin,
                                         detail: moved.isEmpty ? "no stack was moved" : "returning \(moved)")))
            return actions + advance()
        case .reverting(let failedStack, let original):
            let failure = FailureRecord(AgentError(
                .revertFailed, "returning \(step.name) to the previous release failed: \(error.message); the release "
                    + "had failed first because \(original.message); the silo is half-moved: a person must act",
                next: .needsPerson, resource: error.resource ?? step.name))
            state.phase = .reverting(failedStack: failedStack, failure: failure)
            return actions + finishFailed(failure, failedStack: failedStack)
        }
    }

    // MARK: Endings

    private mutating func finishApplied() -> [Action] {
        stage = .done
        let plan = state.plan
        var actions: [Action] = plan.stacks.map { .record(.stackApplied(plan.record(for: $0.spec))) }
        actions.append(.record(.step(stack: nil, step: "deploy", phase: .end,
                                     detail: "applied; changed: \(list(state.moved)); unchanged: \(list(state.unchanged))")))
        return actions + [.finish(.applied(changed: state.moved, unchanged: state.unchanged))]
    }

    private mutating func finishFailed(_ record: FailureRecord, failedStack: String) -> [Action] {
        stage = .done
        let error = AgentError(record.code, record.message, next: .needsPerson, resource: record.resource)
        let failure = DeployFailure(error: error, stack: failedStack, reverted: state.reverted,
                                    leftInPlace: state.leftInPlace, events: state.events)
        let detail = "failed: \(record.message); returned: \(list(state.reverted)); left in place: \(list(state.leftInPlace))"
        return [.record(.step(stack: nil, step: "deploy", phase: .end, detail: detail)), .finish(.failed(failure))]
    }

    private mutating func finishSuperseded() -> [Action] {
        stage = .done
        return [.record(.step(stack: nil, step: "deploy", phase: .end, detail: "superseded by a newer target")),
                .finish(.superseded)]
    }

    private mutating func suspend(_ error: AgentError) -> [Action] {
        let stack = stage.call?.stack
        stage = .done
        state.waiting = FailureRecord(error)
        return [.record(.step(stack: stack, step: "suspend", phase: .end, detail: error.message)),
                .finish(.suspended(error))]
    }

    /// The saved position names no stack: suspend rather than guess.
    private mutating func lostPosition() -> [Action] {
        suspend(AgentError(.journal, "internal error: the deployment's position (\(state.phase.name), step "
            + "\(state.index + 1)) names no stack of the release; the journal may be damaged: a person must look",
            next: .needsPerson))
    }

    // MARK: Helpers

    private mutating func observe(after delay: Double) -> [Action] {
        call(.observe, after: delay)
    }

    private mutating func follow(after delay: Double, since: Date?) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        let made = makeCall(.follow(changeSet: step.changeSetName), for: step)
        stage = .following(made, since: since)
        return [.perform(made, after: delay)]
    }

    private mutating func deleteChangeSets(_ names: [String]) -> [Action] {
        perform(.deleteChangeSets(names), detail: names.joined(separator: ", "))
    }

    /// A call that changes something: journalled before (here) and after (by the event).
    private mutating func perform(_ request: StackCall.Request, detail: String) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        let made = makeCall(request, for: step)
        stage = .awaiting(made)
        return [.record(.step(stack: made.stack, step: made.stepName, phase: .begin, detail: detail)),
                .perform(made, after: 0)]
    }

    private mutating func call(_ request: StackCall.Request, after delay: Double) -> [Action] {
        guard let step = currentStep() else { return lostPosition() }
        let made = makeCall(request, for: step)
        stage = .awaiting(made)
        return [.perform(made, after: delay)]
    }

    private mutating func makeCall(_ request: StackCall.Request, for step: Step) -> StackCall {
        let made = StackCall(stack: step.name, region: step.spec.region, request: request)
        if made.isMutating { polls = 0 }
        return made
    }

    /// The wait before the next poll of the current wait: `Timing.firstPoll`, doubling,
    /// up to `interval`. Small changes finish within a second; long ones are polled at
    /// `interval`.
    private mutating func pollDelay(_ interval: Double) -> Double {
        let delay = min(interval, timing.firstPoll * Double(1 << min(polls, 30)))
        polls += 1
        return delay
    }

    private func ended(_ stepName: String, _ detail: String) -> Action {
        .record(.step(stack: stage.call?.stack, step: stepName, phase: .end, detail: detail))
    }

    private func isAwaiting(_ kind: StackCall.Request.Kind) -> Bool {
        if case .awaiting(let call) = stage { call.request.kind == kind } else { false }
    }

    /// Whether the event is the one awaited. An answer other than an observation ends
    /// a run of transient failures (an observation between a failed change and its
    /// retry does not: a change that keeps failing must end in `suspended`).
    private mutating func expect(_ kind: StackCall.Request.Kind) -> Bool {
        guard isAwaiting(kind) else { return false }
        if kind != .observe { attempts = 0 }
        return true
    }

    private mutating func unexpected(_ event: String) -> [Action] {
        suspend(AgentError(.journal, "internal error: the event \(event) came while the agent waited for "
            + "\(stage.summary); the deployment stays in the journal and resumes on the next run", next: .transient))
    }

    private static func isBeingDeleted(_ set: ObservedChangeSet) -> Bool {
        [.deletePending, .deleteInProgress, .deleteComplete].contains(set.status)
    }


    private func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}

extension Deployment.Stage {
    /// The call this stage awaits the answer of.
    var call: StackCall? {
        switch self {
        case .awaiting(let call), .following(let call, _), .readingEvents(let call, _): call
        case .starting, .done: nil
        }
    }

    /// "observe of app", for messages.
    var summary: String {
        switch self {
        case .starting: "the start"
        case .done: "nothing (the run was over)"
        case .awaiting(let call), .following(let call, _), .readingEvents(let call, _): "\(call.stepName) of \(call.stack)"
        }
    }
}
