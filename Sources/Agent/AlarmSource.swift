import AWS
import Foundation
import Manifest

/// CloudWatch alarms, as the agent sees them: the one call the health gate needs, in the
/// silo's own account and the agent's region. `CloudWatchAlarms` is the real one; tests and
/// the fleet simulator use `MemoryAlarms` (MemoryStacks module), which answers as
/// CloudWatch does.
///
/// Errors: throw `AgentError` (`.service`, transient for the network and throttling).
public protocol AlarmSource {
    /// DescribeAlarms, metric and composite alarms: those named exactly in `names`, and
    /// those whose name starts with one of `prefixes`, each once. A name that matches no
    /// alarm is absent from the answer (CloudWatch does not say "not found").
    func alarms(names: [String], prefixes: [String]) throws -> [CloudWatch.Alarm]
}

extension AlarmSource {
    /// The alarms `gate` counts, by name (each once).
    func alarms(of gate: HealthGate) throws -> [CloudWatch.Alarm] {
        guard !gate.alarmNames.isEmpty || !gate.alarmPrefixes.isEmpty else { return [] }
        var seen: Set<String> = []
        return try alarms(names: gate.alarmNames, prefixes: gate.alarmPrefixes)
            .filter { gate.counts($0.name) && seen.insert($0.name).inserted }
            .sorted { $0.name < $1.name }
    }
}

/// `AlarmSource` over CloudWatch's DescribeAlarms (the AWS module's client).
public struct CloudWatchAlarms: AlarmSource {
    private let client: CloudWatch

    /// - Parameter config: credentials and region of the silo's own account.
    public init(config: AWSConfig) {
        client = CloudWatch(config: config)
    }

    public func alarms(names: [String], prefixes: [String]) throws -> [CloudWatch.Alarm] {
        do {
            var found = names.isEmpty ? [] : try client.describeAlarms(names: names)
            for prefix in prefixes { found += try client.describeAlarms(prefix: prefix) }
            return found
        } catch {
            if error.code == .accessDenied || error.status == 403 {
                throw AgentError(.service, "CloudWatch DescribeAlarms was denied: \(error.message); give the agent's "
                    + "role cloudwatch:DescribeAlarms", next: .needsPerson, cause: error)
            }
            throw AgentError(.service, "CloudWatch DescribeAlarms failed: \(error)",
                             next: error.isRetryable ? .transient : .needsPerson, cause: error)
        }
    }
}
