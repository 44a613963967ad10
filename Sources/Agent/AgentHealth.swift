import AWS
import Foundation
import Logging
import Manifest

/// The health gate on the agent's side (docs/operations.md, "Rollouts"): the channel's
/// signed `rollout.health` names the alarms and the bake. During an update the agent
/// passes the alarms to CloudFormation as rollback triggers; after it, it watches them
/// for the bake and reports `healthy` or `unhealthy` (`StatusReport.health`).
extension Agent {
    /// Judges the health of the release applied from `channel` (the channel pointer the
    /// agent accepted) and keeps it for the report. Returns whether it changed (the report
    /// is then due). No CloudWatch call without a gate, for a pin, or once a verdict is final;
    /// no health at all from an agent without an alarm source (it cannot judge: the
    /// controller then waits on it rather than count it healthy).
    func watchHealth(_ pipeline: String, channel: AcceptedDocument?, now: Date) -> Bool {
        let before = reporter.health[pipeline]
        let after = judgeHealth(pipeline, channel: channel, now: now, earlier: before)
        reporter.health[pipeline] = after
        return after != before
    }

    private func judgeHealth(_ pipeline: String, channel: AcceptedDocument?, now: Date,
                             earlier: SiloHealth?) -> SiloHealth? {
        guard let source = alarms, let gate = channel?.rollout?.health, let channel,
              !(reporter.pinned[pipeline] ?? false) else { return nil }
        let applied: ReleaseRecord?
        do {
            applied = try journal.lastApplied(pipeline: pipeline)
        } catch {
            logger.warning("health not judged: \(error.message)", metadata: ["pipeline": "\(pipeline)"])
            return earlier
        }
        guard let applied, applied.target.source == .channel(channel.name), applied.target.version == channel.version,
              let finished = applied.finishedAt.flatMap(Timestamp.parse) else { return nil }
        let start = Timestamp.format(finished)
        // A verdict already written (by this process or, from the journal, an earlier one) is final.
        let known = earlier ?? (try? reporter.lastReport(pipeline))?.flatMap(\.health)
        if let known, known.version == applied.target.version, known.bakeStartedAt == start, known.state != .baking {
            return known
        }
        let alarms: [CloudWatch.Alarm]
        do {
            alarms = try source.alarms(of: gate)
        } catch {
            // Keep baking: the controller waits rather than count an unseen silo healthy.
            logger.warning("the health gate cannot read the alarms: \(error)", metadata: ["pipeline": "\(pipeline)"])
            return known?.version == applied.target.version ? known
                : SiloHealth(state: .baking, version: applied.target.version, bakeStartedAt: start,
                             bakeSeconds: gate.bakeSeconds, reason: "the alarms could not be read")
        }
        let verdict = HealthJudge.judge(gate: gate, version: applied.target.version, bakeStartedAt: finished, now: now,
                                        alarms: alarms, earlier: known)
        if verdict.state != known?.state || verdict.version != known?.version {
            let level: Logger.Level = verdict.state == .unhealthy ? .error : .notice
            let text = "health of \(pipeline) \(verdict.version): \(verdict.state.rawValue)"
                + (verdict.reason.map { " (\($0))" } ?? "")
            logger.log(level: level, "\(text)", metadata: [
                    "pipeline": "\(pipeline)", "version": "\(verdict.version)", "health": "\(verdict.state.rawValue)",
                    "alarms": "\(verdict.alarms.joined(separator: ","))"])
        }
        return verdict
    }

    /// The rollback triggers for a change set of `plan` in `region` (nil: the agent's):
    /// the channel's health gate's alarms, resolved to ARNs with DescribeAlarms in the
    /// silo's own account. None for a pin, for a stack in another region (the alarms are
    /// the agent region's), or without a gate or an alarm source.
    func rollbackTriggers(for plan: DeployPlan, region: String?) throws -> RollbackTriggers? {
        guard let source = alarms, case .channel(let name) = plan.target.source,
              region == nil || region == settings.region else { return nil }
        let channel = try journal.acceptedDocuments(pipeline: plan.pipeline, channel: name, silo: silo).pointer
        guard let gate = channel?.rollout?.health, channel?.version == plan.target.version else { return nil }
        let (triggers, left) = HealthJudge.triggers(gate: gate, alarms: try source.alarms(of: gate))
        if !left.isEmpty {
            let text = "CloudFormation takes at most \(HealthGate.triggerLimit) rollback triggers: "
                + "\(left.joined(separator: ", ")) only watched after the update"
            logger.warning("\(text)", metadata: ["pipeline": "\(plan.pipeline)"])
        }
        return triggers
    }
}
