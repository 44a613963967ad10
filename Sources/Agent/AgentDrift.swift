import Foundation
import Logging
import Manifest

extension Agent {
    /// After a reconcile that left `pipeline` in sync: when a drift detection is due
    /// (`DriftDecision.isDue`), detects drift on each stack the silo last applied, reports
    /// what counts (`DriftDecision.findings`), and with `drift: revert` re-applies the
    /// current release to the drifted stacks (`revertDrift`). Failures are logged and
    /// reported in the drift section; they never fail the tick.
    func checkDriftIfDue(_ pipeline: String) {
        let drift = settings.drift
        guard let last = try? reporter.lastReport(pipeline), DriftDecision.isDue(drift, last: last, now: clock.now()),
              !stop.isRequested else { return }
        let metadata: Logger.Metadata = ["pipeline": "\(pipeline)", "drift": "\(drift.mode.rawValue)"]
        var section: StatusReport.Drift
        do {
            let records = try journal.stackRecords(pipeline: pipeline).values.sorted { $0.spec.name < $1.spec.name }
            let found = try detect(records.map(\.spec))
            let findings = DriftDecision.findings(found, excluding: drift.excludedTypes)
            section = DriftDecision.section(drift.mode, findings: findings, checkedAt: clock.now())
            if findings.isEmpty {
                logger.info("no drift", metadata: metadata)
            } else {
                let list = findings.map { "\($0.stack)/\($0.logicalResourceId) \($0.status)" }.joined(separator: ", ")
                logger.warning("drift: \(list)", metadata: metadata)
            }
            let stacks = DriftDecision.stacksToRevert(drift.mode, findings: findings, order: records.map(\.spec.name))
            if !stacks.isEmpty {
                do {
                    for name in stacks {
                        guard let record = records.first(where: { $0.spec.name == name }) else { continue }
                        try revertDrift(pipeline, record: record)
                    }
                    section.revertedAt = Timestamp.format(clock.now())
                    let version = records.first?.version.description ?? ""
                    logger.notice("drift reverted: re-applied \(pipeline) \(version) to \(stacks.joined(separator: ", "))",
                                  metadata: metadata)
                } catch {
                    let problem = AgentError.sorting(error, doing: "reverting drift")
                    section.error = problem.message
                    logger.error("\(problem.message)", metadata: metadata)
                }
            }
        } catch {
            let problem = AgentError.sorting(error, doing: "detecting drift")
            logger.error("\(problem.message)", metadata: metadata)
            section = StatusReport.Drift(mode: drift.mode.rawValue, checkedAt: Timestamp.format(clock.now()),
                                         resources: last.drift?.resources ?? [], error: problem.message)
        }
        reporter.drift[pipeline] = section
        report(pipeline)
    }

    /// Starts a detection on every stack, then follows them all; the drifted resources.
    private func detect(_ specs: [StackSpec]) throws -> [ResourceDrift] {
        var running: [(spec: StackSpec, id: String)] = []
        for spec in specs {
            running.append((spec, try stackService(region: spec.region).detectDrift(stack: spec.name)))
        }
        var found: [ResourceDrift] = []
        var wait = timing.firstPoll
        var polls = 0
        let limit = max(1, Int(timing.busyLimit / max(timing.changeSetPoll, 0.1)))
        while !running.isEmpty {
            clock.sleep(seconds: wait)
            wait = min(wait * 2, timing.changeSetPoll)
            polls += 1
            var still: [(spec: StackSpec, id: String)] = []
            for (spec, id) in running {
                let service = stackService(region: spec.region)
                switch DriftDecision.step(try service.driftDetection(id: id), polls: polls, limit: limit) {
                case .wait: still.append((spec, id))
                case .inSync: break
                case .drifted: found += try service.resourceDrifts(stack: spec.name)
                case .failed(let why):
                    throw AgentError(.service, "the drift detection of \(spec.name) failed: \(why)", next: .transient,
                                     resource: spec.name)
                }
            }
            running = still
            if stop.isRequested, !running.isEmpty {
                throw AgentError(.interrupted, "stopped while drift detection ran", next: .transient)
            }
        }
        return found
    }

    /// Re-applies the release `record` names to its stack with a drift-aware change set
    /// (`DeploymentMode: REVERT_DRIFT`): an ordinary change set of the same template is
    /// "no changes", since CloudFormation compares templates, not resources. Waits for
    /// the change set, executes it and waits for `UPDATE_COMPLETE`.
    private func revertDrift(_ pipeline: String, record: StackRecord) throws {
        let spec = record.spec
        let service = stackService(region: spec.region)
        let name = "ferry-drift-\(spec.digest.prefix(12))-\(Int(clock.now().timeIntervalSince1970))"
        let description = "ferry reverting drift: re-applying \(pipeline) \(record.version) (serial \(record.serial))"
        var request = ChangeSetRequest(
            stackName: spec.name, changeSetName: name, type: .update,
            template: try applier(for: pipeline).templateSource(for: spec), parameters: spec.parameters,
            tags: spec.tags, capabilities: spec.capabilities, description: String(description.prefix(1024)))
        request.revertDrift = true
        guard try service.createChangeSet(request) != nil else { return }  // nothing to revert after all
        let deadline = clock.now().addingTimeInterval(timing.busyLimit)
        var wait = timing.firstPoll
        while true {
            clock.sleep(seconds: wait)
            wait = min(wait * 2, timing.changeSetPoll)
            guard let set = try service.describeChangeSet(stack: spec.name, name: name) else {
                throw AgentError(.changeSetFailed, "the drift change set \(name) of \(spec.name) vanished",
                                 next: .transient, resource: spec.name)
            }
            if set.isNoChange {
                try? service.deleteChangeSet(stack: spec.name, name: name)
                return
            }
            if set.status == .createComplete { break }
            if set.status == .failed || clock.now() > deadline {
                throw AgentError(.changeSetFailed, "the drift change set \(name) of \(spec.name) failed: "
                    + (set.statusReason ?? "\(set.status)"), next: .needsPerson, resource: spec.name)
            }
        }
        try service.executeChangeSet(stack: spec.name, name: name)
        wait = timing.firstPoll
        while true {
            clock.sleep(seconds: wait)
            wait = min(wait * 2, timing.stackPoll)
            guard let stack = try service.describeStack(name: spec.name) else {
                throw AgentError(.stackVanished, "\(spec.name) vanished while its drift was reverted", next: .needsPerson,
                                 resource: spec.name)
            }
            if stack.status == .updateComplete { return }
            if !stack.status.isInProgress || clock.now() > deadline {
                throw AgentError(.stackFailed, "reverting the drift of \(spec.name) ended \(stack.status)"
                    + (stack.statusReason.map { ": \($0)" } ?? ""), next: .needsPerson, resource: spec.name)
            }
        }
    }
}
