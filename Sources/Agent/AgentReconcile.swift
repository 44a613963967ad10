import Bucket
import Foundation
import Logging
import Manifest

/// What one tick did for one pipeline.
public struct PipelineOutcome: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// Neither the pin nor the pointer changed (two conditional GETs, nothing else).
        case idle
        /// The documents changed, but the target is the one applied (or already failed here).
        case unchanged
        /// No usable pointer or pin (an expired one, refused).
        case nothing
        /// Nothing has been published to the channel yet (and no pin): the agent waits;
        /// `error` says what it found (`noPointer`). Reported `waiting`.
        case waiting
        /// The settings name nothing in the bucket, or a read was denied (`noSuchBucket`,
        /// `noSuchPipeline`, `accessDenied`): a person must act. Reported `misconfigured`.
        case misconfigured
        case applied
        /// The release failed here; moved stacks were returned to the previous release.
        case failed
        /// A pointer, pin, manifest or bundle was refused; nothing was applied.
        case refused
        /// The deployment waits (a busy stack, a person must act, the network); it stays in flight.
        case suspended
        /// A newer target replaced the deployment at a safe point.
        case superseded
        /// Stopped at a safe point (SIGTERM/SIGINT); the deployment resumes at the next start.
        case interrupted
        /// The tick could not run (the bucket or the journal failed).
        case error
    }

    public var pipeline: String
    public var kind: Kind
    public var target: SemVer?
    public var error: AgentError?
    /// What the deployment's change sets changed (this process saw them), for an
    /// `applied` or `failed` outcome.
    public var changes: ChangeSummary?

    public init(pipeline: String, kind: Kind, target: SemVer? = nil, error: AgentError? = nil) {
        self.pipeline = pipeline
        self.kind = kind
        self.target = target
        self.error = error
    }

    /// Whether `ferry agent once` exits non-zero for it: something was refused or failed
    /// (a stack busy with someone else's operation is not a failure: it is retried).
    public var isProblem: Bool {
        switch kind {
        case .failed, .refused, .error, .misconfigured: true
        case .suspended: error.map { if case .waitAndRetry = $0.next { false } else { true } } ?? true
        case .idle, .unchanged, .nothing, .waiting, .applied, .superseded, .interrupted: false
        }
    }
}

extension Agent {
    /// One reconcile of `pipeline` (DESIGN.md steps 1–9).
    func reconcile(_ pipeline: String) throws -> PipelineOutcome {
        let accepted = try journal.acceptedDocuments(pipeline: pipeline, channel: settings.channel, silo: silo)
        let now = clock.now()
        let readPin = pinReadAt[pipeline].map { now.timeIntervalSince($0) >= settings.pinInterval } ?? true
        let polled = try poll(pipeline, lastPointer: accepted.pointer, lastPin: accepted.pin, readPin: readPin, now: now)
        if readPin, !polled.pinUnreadable { pinReadAt[pipeline] = now }
        let inFlight = try journal.inFlight(pipeline: pipeline)
        // A missing pointer is explained (no bucket, no pipeline, nothing published yet),
        // never taken for "nothing to do" (issue 13).
        var waiting: AgentError?
        let absenceBefore = reporter.absence[pipeline]
        if case .absent = polled.pointer {
            switch try explainAbsence(pipeline, followedBefore: accepted.pointer?.name == settings.channel, now: now) {
            case .misconfigured(let error):
                // No report can go to a bucket that does not exist.
                if error.code != .noSuchBucket { report(pipeline) }
                return PipelineOutcome(pipeline: pipeline, kind: .misconfigured, error: error)
            case .waiting(let note):
                waiting = note
            case .pointerGone:
                break
            }
        } else {
            forgetAbsence(pipeline)
        }
        let absenceChanged = reporter.absence[pipeline] != absenceBefore
        let selection = selectTarget(SelectionInput(
            pipeline: pipeline, channel: settings.channel, silo: silo, lastPointer: accepted.pointer,
            lastPin: accepted.pin, pointer: polled.pointer, pin: polled.pin, now: now,
            failed: try journal.failedTargets(pipeline: pipeline),
            applied: try journal.lastAppliedTarget(pipeline: pipeline), facts: facts))
        let channelDocument = selection.record.last { $0.kind == .channel } ?? accepted.pointer
        let rollout = channelDocument?.rollout
        let wave = rollout.map { $0.waveIndex(of: facts) }
        let healthChanged = watchHealth(pipeline, channel: channelDocument, now: now)
        let waveChanged = reporter.waveWait[pipeline] != selection.waiting || reporter.waveIndex[pipeline] != wave
        reporter.waveWait[pipeline] = selection.waiting
        reporter.waveIndex[pipeline] = wave
        // Nothing new, nothing to resume, nothing refused: the idle tick ends here, after
        // its two conditional GETs (a target accepted but never applied, say after a
        // crash, is not idle: the verdict is `deploy`).
        if inFlight == nil, polled.problems.isEmpty, selection.record.isEmpty, selection.refusals.isEmpty {
            switch selection.verdict {
            case .unchanged, .alreadyFailed, .nothing:
                logger.debug("idle: nothing changed", metadata: ["pipeline": "\(pipeline)"])
                // The heartbeat: an idle silo rewrites its report now and then, so
                // on-call can tell it from a silent one (`ferry status`: stale). The
                // first tick of a process reports too, and so does a new reason to wait.
                let due = try reporter.heartbeatDue(pipeline: pipeline, now: now) || !hasReported(pipeline)
                    || absenceChanged || waveChanged || healthChanged
                if due, let error = report(pipeline) {
                    return PipelineOutcome(pipeline: pipeline, kind: .error, error: error)
                }
                if let wave = selection.waiting {
                    return PipelineOutcome(pipeline: pipeline, kind: .waiting, error: wave)
                }
                if case .nothing = selection.verdict, let waiting {
                    return PipelineOutcome(pipeline: pipeline, kind: .waiting, error: waiting)
                }
                return PipelineOutcome(pipeline: pipeline, kind: .idle)
            case .deploy:
                break
            }
        }
        try journal.record(selection, pipeline: pipeline)
        reporter.pinned[pipeline] = selection.pinned
        let problems = polled.problems + selection.refusals
        for problem in problems {
            logger.error("\(problem.message)", metadata: ["pipeline": "\(pipeline)", "code": "\(problem.code)"])
        }

        let settled: (kind: PipelineOutcome.Kind, target: Target?)
        switch selection.verdict {
        case .deploy(let target) where polled.pinUnreadable:
            // A pin that cannot be read may name another release: keep what runs, report, read again.
            settled = (.unchanged, try journal.lastAppliedTarget(pipeline: pipeline) ?? target)
        case .deploy(let target):
            return try deploy(pipeline, target: target, inFlight: inFlight, problems: problems)
        case .unchanged(let target), .alreadyFailed(let target):
            settled = (selection.waiting == nil ? .unchanged : .waiting, target)
        case .nothing:
            settled = (waiting == nil && selection.waiting == nil ? .nothing : .waiting, nil)
        }
        // A deployment suspended earlier (a busy stack, the network) goes on.
        if let inFlight, let outcome = try applier(for: pipeline).resume(pipeline: pipeline) {
            return finish(pipeline, target: inFlight.plan.target, outcome: outcome, problems: problems)
        }
        return settle(pipeline, kind: settled.kind, target: settled.target?.version, problems: problems, polled: polled)
    }

    /// Applies `target`: resumes its deployment in flight, or fetches, verifies and
    /// unpacks it first (a refusal is journalled and reported; nothing is applied).
    private func deploy(_ pipeline: String, target: Target, inFlight: DeploymentState?,
                        problems: [AgentError]) throws -> PipelineOutcome {
        if let inFlight, inFlight.plan.target == target {
            let outcome = try applier(for: pipeline).resume(pipeline: pipeline)
            return finish(pipeline, target: target, outcome: outcome ?? .superseded, problems: problems)
        }
        logger.notice("deploying \(target.describe(pipeline: pipeline))", metadata: [
            "pipeline": "\(pipeline)", "version": "\(target.version)", "serial": "\(target.serial)"])
        let plan: DeployPlan
        do {
            plan = try makePlan(pipeline, target: target)
        } catch {
            guard error.code == .refused || error.code == .plan else { throw error }
            try journal.markRefused(pipeline: pipeline, target: target, error: error)
            logger.error("\(error.message)", metadata: ["pipeline": "\(pipeline)", "version": "\(target.version)",
                                                        "serial": "\(target.serial)", "code": "refused"])
            store.prune(pipeline: pipeline, keeping: try journal.pathsInUse(pipeline: pipeline))
            report(pipeline, refusals: problems)
            return PipelineOutcome(pipeline: pipeline, kind: .refused, target: target.version, error: error)
        }
        changeSets[pipeline] = nil
        let outcome = try applier(for: pipeline).apply(plan)
        return finish(pipeline, target: target, outcome: outcome, problems: problems)
    }

    /// Fetches, verifies and unpacks `target`, and plans it for this silo.
    func makePlan(_ pipeline: String, target: Target) throws(AgentError) -> DeployPlan {
        let crashes = PrepareGuard(path: settings.stateDirectory + "/releases/.preparing")
        try crashes.begin(target.describe(pipeline: pipeline) + " manifest " + target.manifestSha256)
        defer { crashes.end() }
        let prepared = try store.prepare(pipeline: pipeline, target: target)
        let plan = try DeployPlan.make(manifest: prepared.manifest, target: target, folder: prepared.folder,
                                       overrides: settings.parameters, stackPrefix: settings.stackPrefix)
        return try artifacts.relocate(plan, manifest: prepared.manifest)
    }

    /// After a tick that applied nothing: report, and say whether something was refused.
    private func settle(_ pipeline: String, kind: PipelineOutcome.Kind, target: SemVer?, problems: [AgentError],
                        polled: Polled) -> PipelineOutcome {
        let reportError = report(pipeline, refusals: problems)
        if let readProblem = polled.problems.first {
            return PipelineOutcome(pipeline: pipeline, kind: readProblem.code == .accessDenied ? .misconfigured : .error,
                                   target: target, error: readProblem)
        }
        if let refusal = problems.first {
            return PipelineOutcome(pipeline: pipeline, kind: .refused, target: target, error: refusal)
        }
        if let reportError { return PipelineOutcome(pipeline: pipeline, kind: .error, target: target, error: reportError) }
        return PipelineOutcome(pipeline: pipeline, kind: kind, target: target,
                               error: kind == .waiting ? reporter.absence[pipeline].flatMap(\.note) ?? reporter.waveWait[pipeline] : nil)
    }

    /// After an Applier run: log the outcome, prune release folders, report.
    func finish(_ pipeline: String, target: Target?, outcome: DeployOutcome, problems: [AgentError]) -> PipelineOutcome {
        var metadata: Logger.Metadata = ["pipeline": "\(pipeline)"]
        if let target { metadata["version"] = "\(target.version)"; metadata["serial"] = "\(target.serial)" }
        var result: PipelineOutcome
        var stopping = false
        switch outcome {
        case .applied(let changed, let unchanged):
            metadata["changed"] = "\(changed.joined(separator: ","))"
            metadata["unchanged"] = "\(unchanged.joined(separator: ","))"
            logger.notice("applied \(target.map { $0.describe(pipeline: pipeline) } ?? pipeline)", metadata: metadata)
            // The bake starts now: the first report of the release says so.
            if let channel = try? journal.acceptedDocuments(pipeline: pipeline, channel: settings.channel, silo: silo).pointer {
                _ = watchHealth(pipeline, channel: channel, now: clock.now())
            }
            result = PipelineOutcome(pipeline: pipeline, kind: .applied, target: target?.version)
        case .failed(let failure):
            metadata["resource"] = "\(failure.error.resource ?? failure.stack)"
            metadata["returned"] = "\(failure.reverted.joined(separator: ","))"
            logger.error("the release failed: \(failure.error.message)", metadata: metadata)
            result = PipelineOutcome(pipeline: pipeline, kind: .failed, target: target?.version, error: failure.error)
        case .suspended(let error) where error.code == .interrupted:
            stopping = true
            logger.notice("stopped at a safe point: the deployment stays in flight and resumes at the next start",
                          metadata: metadata)
            result = PipelineOutcome(pipeline: pipeline, kind: .interrupted, target: target?.version, error: error)
        case .suspended(let error):
            logger.warning("the deployment waits: \(error.message)", metadata: metadata)
            result = PipelineOutcome(pipeline: pipeline, kind: .suspended, target: target?.version, error: error)
        case .superseded:
            logger.notice("superseded by a newer target", metadata: metadata)
            result = PipelineOutcome(pipeline: pipeline, kind: .superseded, target: target?.version)
        }
        if result.kind == .applied || result.kind == .failed {
            result.changes = changeSets.removeValue(forKey: pipeline).map(ChangeSummary.init)
        }
        do {
            store.prune(pipeline: pipeline, keeping: try journal.pathsInUse(pipeline: pipeline))
        } catch {
            logger.warning("release folders not pruned: \(error.message)", metadata: ["pipeline": "\(pipeline)"])
        }
        if let reportError = report(pipeline, refusals: problems, stop: stopping && !stopIsPause ? .stopping : nil), !result.isProblem {
            return PipelineOutcome(pipeline: pipeline, kind: .error, target: target?.version, error: reportError)
        }
        return result
    }
}
