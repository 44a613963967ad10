import Basics
import Foundation
import Manifest

/// The thin loop around the deploy state machine: it writes the machine's journal lines
/// and state (one transaction before each call), makes the CloudFormation call the
/// machine asks for, and feeds the answer back, until the machine finishes.
///
/// `StackService` implementations throw `AgentError`s; any other error ends the run at
/// once and propagates, leaving the journal as a crash would (the next run resumes).
public final class Applier {
    /// The `StackService` for a region (`nil`: the agent's own region).
    public typealias Services = (_ region: String?) throws -> any StackService

    private let journal: Journal
    private let services: Services
    private let templateURL: (_ sha256: String, _ region: String?) throws -> String
    private let clock: any AgentClock
    private let timing: Timing
    private let onChange: (DeploymentState) -> Void
    private let onEvent: (StackEvent) -> Void
    private let stopRequested: () -> Bool
    private let rollbackTriggers: (_ plan: DeployPlan, _ region: String?) throws -> RollbackTriggers?
    /// Each change set of the release's own stacks (not those returning to the release
    /// before) once CloudFormation has computed it: its stack and what it changes.
    var onChangeSet: (_ stack: String, _ changeSet: ObservedChangeSet) -> Void = { _, _ in }

    /// - Parameters:
    ///   - templateURL: the S3 URL of the template with this SHA-256 in the silo's artifact
    ///     bucket of the stack's region (`SiloArtifacts` stored it there, verified), for
    ///     templates above `ChangeSetRequest.bodyLimit`.
    ///   - rollbackTriggers: CloudFormation's rollback triggers for a forward change set of
    ///     `plan` in a region (the rollout's health gate); never for a return to the release before.
    ///   - onChange: called after every journal write, e.g. to build and send a status report.
    ///   - onEvent: each stack event as it comes while an operation is followed (for the log).
    ///   - stopRequested: checked at every safe point (after a journal write, before the
    ///     next call); when true the run ends `suspended` with `.interrupted` and the
    ///     deployment stays in flight for the next start. The clock's `sleep` should
    ///     return early once it is true.
    public init(journal: Journal, clock: any AgentClock = SystemClock(), timing: Timing = Timing(),
                templateURL: @escaping (_ sha256: String, _ region: String?) throws -> String, services: @escaping Services,
                rollbackTriggers: @escaping (_ plan: DeployPlan, _ region: String?) throws -> RollbackTriggers? = { _, _ in nil },
                onChange: @escaping (DeploymentState) -> Void = { _ in },
                onEvent: @escaping (StackEvent) -> Void = { _ in },
                stopRequested: @escaping () -> Bool = { false }) {
        self.journal = journal
        self.clock = clock
        self.timing = timing
        self.templateURL = templateURL
        self.services = services
        self.onChange = onChange
        self.onEvent = onEvent
        self.stopRequested = stopRequested
        self.rollbackTriggers = rollbackTriggers
    }

    /// Applies `plan`: resumes the journal's deployment of the same target, or first
    /// brings a deployment of another target to a safe stop (superseded), then starts
    /// this one with the journal's stack records as what to return to on failure.
    public func apply(_ plan: DeployPlan) throws -> DeployOutcome {
        if let flying = try journal.inFlight(pipeline: plan.pipeline) {
            if flying.plan.target == plan.target {
                return try run(Deployment(resuming: flying, timing: timing), isNew: false)
            }
            var older = Deployment(resuming: flying, timing: timing)
            older.supersede()
            let outcome = try run(older, isNew: false)
            if case .suspended = outcome { return outcome }
        }
        var planned = plan
        let records = try journal.stackRecords(pipeline: plan.pipeline)
        for index in planned.stacks.indices {
            planned.stacks[index].previous = records[planned.stacks[index].spec.name]
        }
        let now = clock.now()
        return try run(Deployment(plan: planned, now: now, attempt: DeployPlan.attemptID(now: now), timing: timing),
                       isNew: true)
    }

    /// Resumes the deployment in flight for `pipeline`, if there is one (run it at start-up).
    public func resume(pipeline: String) throws -> DeployOutcome? {
        guard let flying = try journal.inFlight(pipeline: pipeline) else { return nil }
        return try run(Deployment(resuming: flying, timing: timing), isNew: false)
    }

    // MARK: The loop

    private func run(_ deployment: Deployment, isNew: Bool) throws -> DeployOutcome {
        var machine = deployment
        var notes: [JournalNote] = []
        var begun = !isNew
        var saved: DeploymentState? = isNew ? nil : machine.state
        var pending = machine.start()[...]
        while let action = pending.popFirst() {
            switch action {
            case .record(let note):
                notes.append(note)
            case .perform(let call, let delay):
                precondition(pending.isEmpty, "the deploy state machine returned actions after a call")
                let changed = !begun || !notes.isEmpty || saved != machine.state
                if !begun {
                    try journal.begin(machine.state, notes: notes)
                    begun = true
                } else if changed {
                    try journal.save(machine.state, notes: notes)
                }
                if changed { onChange(machine.state) }
                notes = []
                saved = machine.state
                if delay > 0 { clock.sleep(seconds: delay) }
                if stopRequested() { return try stop(machine.state, before: call) }
                pending = try perform(call, on: &machine)[...]
            case .finish(let outcome):
                if !begun { try journal.begin(machine.state, notes: []) }
                try journal.finish(machine.state, outcome: outcome, notes: notes)
                onChange(machine.state)
                return outcome
            }
        }
        preconditionFailure("the deploy state machine stopped without finishing")
    }

    /// Ends the run at a safe point: the state as journalled stays in flight (a restarted
    /// agent observes CloudFormation again and never executes a change set twice).
    private func stop(_ state: DeploymentState, before call: StackCall) throws -> DeployOutcome {
        let error = AgentError(.interrupted, "the agent was asked to stop before \(call.stepName) of \(call.stack); "
            + "the deployment stays in the journal and resumes at the next start", next: .transient,
            resource: call.stack)
        let outcome = DeployOutcome.suspended(error)
        try journal.finish(state, outcome: outcome,
                           notes: [.step(stack: call.stack, step: "stop", phase: .end, detail: error.message)])
        onChange(state)
        return outcome
    }

    /// Makes one call and reports its answer to the machine. `AgentError`s go to the
    /// machine; any other error propagates.
    private func perform(_ call: StackCall, on machine: inout Deployment) throws -> [Action] {
        do {
            let service = try services(call.region)
            let stack = call.stack
            switch call.request {
            case .observe:
                var observed = try service.describeStack(name: stack)
                if let status = observed?.status, [.createComplete, .updateComplete, .importComplete].contains(status) {
                    // What the stack runs, as CloudFormation says: a skip is decided on this.
                    observed?.templateSha256 = try service.deployedTemplate(stack: stack).map { sha256Hex(Data($0.utf8)) }
                }
                let changeSets = observed == nil || observed?.status == .deleteComplete
                    ? [] : try service.listChangeSets(stack: stack)
                return machine.observed(stack: observed, changeSets: changeSets, now: clock.now())
            case .deleteChangeSets(let names):
                for name in names { try service.deleteChangeSet(stack: stack, name: name) }
                return machine.changeSetsDeleted()
            case .deleteStack:
                try service.deleteStack(name: stack)
                return machine.stackDeletionStarted()
            case .awaitDeletion:
                return machine.deletionPolled(stack: try service.describeStack(name: stack))
            case .createChangeSet(let name, let type, let spec):
                let request = try changeSetRequest(name: name, type: type, spec: spec, plan: machine.state.plan,
                                                   returning: machine.state.phase != .forward)
                return machine.changeSetCreated(id: try service.createChangeSet(request))
            case .awaitChangeSet(let name):
                let changeSet = try service.describeChangeSet(stack: stack, name: name)
                if let changeSet, changeSet.status == .createComplete, machine.state.phase == .forward {
                    onChangeSet(stack, changeSet)
                }
                return machine.changeSetPolled(changeSet)
            case .executeChangeSet(let name):
                try service.executeChangeSet(stack: stack, name: name)
                return machine.changeSetExecuted(now: clock.now())
            case .follow(let name):
                let observed = try service.describeStack(name: stack)
                let changeSet = try service.describeChangeSet(stack: stack, name: name)
                // Only for the log: a failure to read events changes nothing.
                (try? service.recentEvents(stack: stack))?.forEach(onEvent)
                return machine.followed(stack: observed, changeSet: changeSet, now: clock.now())
            case .readEvents(let since):
                return machine.eventsRead(try service.events(stack: stack, since: since))
            }
        } catch let error as AgentError {
            return machine.callFailed(error)
        }
    }

    /// The CreateChangeSet request for `spec`, its template from `templateSource`.
    /// `returning`: the deployment failed and this change set returns a stack to the
    /// release before (said in its description).
    private func changeSetRequest(name: String, type: ChangeSetType, spec: StackSpec, plan: DeployPlan,
                                  returning: Bool) throws -> ChangeSetRequest {
        let template = try templateSource(for: spec)
        let description = "ferry " + (returning ? "returning to the release before " : "")
            + plan.target.describe(pipeline: plan.pipeline)
        let triggers: RollbackTriggers?
        do {
            triggers = returning ? nil : try rollbackTriggers(plan, spec.region)
        } catch let error as AgentError {
            throw error
        } catch {
            throw AgentError(.service, "no rollback triggers for \(spec.name): \(error)", next: .transient,
                             resource: spec.name, cause: error)
        }
        return ChangeSetRequest(stackName: spec.name, changeSetName: name, type: type, template: template,
                                parameters: spec.parameters, tags: spec.tags, capabilities: spec.capabilities,
                                description: String(description.prefix(1024)), rollbackTriggers: triggers)
    }

    /// The template of `spec` as CreateChangeSet takes it: read from disk and checked
    /// against its SHA-256, sent as a body, or by URL above CloudFormation's body limit.
    func templateSource(for spec: StackSpec) throws -> TemplateSource {
        guard let bytes = FileManager.default.contents(atPath: spec.templatePath) else {
            throw AgentError(.template, "the template of \(spec.name) is missing: \(spec.templatePath); the release "
                + "folder was removed or moved", next: .needsPerson, resource: spec.name)
        }
        guard sha256Hex(bytes) == spec.templateSha256 else {
            throw AgentError(.template, "the template \(spec.templatePath) of \(spec.name) no longer has the SHA-256 "
                + "the manifest gives; something changed the release folder", next: .needsPerson, resource: spec.name)
        }
        let template: TemplateSource
        if bytes.count > ChangeSetRequest.bodyLimit {
            do {
                template = .url(try templateURL(spec.templateSha256, spec.region))
            } catch let error as AgentError {
                throw error
            } catch {
                throw AgentError(.template, "no URL for the template of \(spec.name): \(error)", next: .needsPerson,
                                 resource: spec.name, cause: error)
            }
        } else if let text = String(data: bytes, encoding: .utf8) {
            template = .body(text)
        } else {
            throw AgentError(.template, "the template \(spec.templatePath) is not UTF-8 text", next: .needsPerson,
                             resource: spec.name)
        }
        return template
    }
}
