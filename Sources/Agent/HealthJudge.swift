import AWS
import Foundation
import Manifest

/// A silo's health under a rollout's health gate (pure: the gate, the alarms as CloudWatch
/// answered, the bake's start and the time in; a verdict out).
///
/// - A counted alarm in `ALARM` makes the silo `unhealthy`, naming it; final for the release.
/// - An alarm without data (`INSUFFICIENT_DATA`, a state CloudWatch adds later, or an alarm
///   named in the gate that does not exist in this account) counts as the gate says: as OK
///   (`healthy`), as `ALARM` (`unhealthy`), or the silo waits for its data past the bake (`wait`).
/// - Otherwise the silo bakes until `bakeSeconds` have passed since the update finished,
///   then is `healthy`; final for the release.
public enum HealthJudge {
    public static func judge(gate: HealthGate, version: SemVer, bakeStartedAt: Date, now: Date,
                             alarms: [CloudWatch.Alarm], earlier: SiloHealth? = nil) -> SiloHealth {
        let started = Timestamp.format(bakeStartedAt)
        if let earlier, earlier.version == version, earlier.bakeStartedAt == started, earlier.state != .baking {
            return earlier  // a verdict is final for the release it is about
        }
        let counted = alarms.filter { gate.counts($0.name) }
        var verdict = SiloHealth(state: .baking, version: version, bakeStartedAt: started,
                                 bakeSeconds: gate.bakeSeconds, watched: counted.count)
        let firing = counted.filter { $0.state == .alarm }
        if !firing.isEmpty {
            verdict.state = .unhealthy
            verdict.alarms = firing.map(\.name).sorted()
            verdict.reason = firing.sorted { $0.name < $1.name }
                .map { "\($0.name) is ALARM" + ($0.stateReason.map { ": \($0)" } ?? "") }.joined(separator: "; ")
            return verdict
        }
        let present = Set(counted.map(\.name))
        let missing = gate.alarmNames.filter { !present.contains($0) }
        let noData = (counted.filter { $0.state != .ok }.map(\.name) + missing).sorted()
        if !noData.isEmpty {
            switch gate.insufficientData {
            case .healthy:
                break
            case .unhealthy:
                verdict.state = .unhealthy
                verdict.alarms = noData
                verdict.reason = noData.map { name in
                    missing.contains(name) ? "\(name) does not exist in this account"
                        : "\(name) is \(counted.first { $0.name == name }?.state.rawValue ?? "INSUFFICIENT_DATA")"
                }.joined(separator: "; ") + " (insufficientData: unhealthy)"
                return verdict
            case .wait:
                verdict.alarms = noData
            }
        }
        let baked = now.timeIntervalSince(bakeStartedAt) >= Double(gate.bakeSeconds)
        if baked, verdict.alarms.isEmpty {
            verdict.state = .healthy
        }
        return verdict
    }

    /// CreateChangeSet's rollback triggers for `gate`: the ARNs of its alarms (by name
    /// order; CloudFormation takes at most 5, so above 5 only the first 5 are triggers and
    /// the watch after the update still covers every one of them), monitored for the
    /// bake rounded up to minutes (at most 180). Nil when no alarm exists to pass.
    public static func triggers(gate: HealthGate, alarms: [CloudWatch.Alarm]) -> (triggers: RollbackTriggers?,
                                                                                    left: [String]) {
        let counted = alarms.filter { gate.counts($0.name) && !$0.arn.isEmpty }.sorted { $0.name < $1.name }
        guard !counted.isEmpty else { return (nil, []) }
        let passed = counted.prefix(HealthGate.triggerLimit)
        return (RollbackTriggers(alarmArns: passed.map(\.arn), monitoringMinutes: gate.monitoringMinutes),
                counted.dropFirst(HealthGate.triggerLimit).map(\.name))
    }
}
