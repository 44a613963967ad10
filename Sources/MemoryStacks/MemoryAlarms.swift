import Agent
import AWS
import Foundation

/// CloudWatch alarms in memory, for unit tests and the fleet simulator: one account and
/// region, as DescribeAlarms answers there (moto 5.2.1 answers the same for metric
/// alarms: CloudWatchMotoTests, HealthGateMotoTests).
///
/// - A new alarm is `INSUFFICIENT_DATA` until its state is set (as `PutMetricAlarm`).
/// - `set` is `SetAlarmState`: the state holds until set again (no metric evaluates here).
/// - `alarms(names:prefixes:)` answers metric and composite alarms, names matching nothing
///   are absent, each alarm once, metric alarms first, each kind by name.
/// - `failing` makes every DescribeAlarms throw the transient error the live source throws
///   for the network.
/// Thread-safe (one lock).
public final class MemoryAlarms: AlarmSource, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String: CloudWatch.Alarm] = [:]
    private var calls = 0
    private let account: String
    private let region: String
    /// While true, DescribeAlarms fails (a network outage).
    public var failing: Bool {
        get { lock.withLock { isFailing } }
        set { lock.withLock { isFailing = newValue } }
    }
    private var isFailing = false

    public init(account: String = "123456789012", region: String = "us-east-1") {
        self.account = account
        self.region = region
    }

    /// `PutMetricAlarm` (or `PutCompositeAlarm`): a new alarm starts in `INSUFFICIENT_DATA`.
    public func put(_ name: String, kind: CloudWatch.Alarm.Kind = .metric) {
        lock.withLock {
            stored[name] = CloudWatch.Alarm(name: name, arn: "arn:aws:cloudwatch:\(region):\(account):alarm:\(name)",
                                            kind: kind, state: .insufficientData, stateReason: "Unchecked: Initial alarm creation")
        }
    }

    /// `SetAlarmState` of an existing alarm (CloudWatch: `ResourceNotFound` otherwise).
    public func set(_ name: String, _ state: CloudWatch.AlarmState, reason: String = "set by the test") {
        lock.withLock {
            precondition(stored[name] != nil, "SetAlarmState of \(name): ResourceNotFound (put it first)")
            stored[name]?.state = state
            stored[name]?.stateReason = reason
        }
    }

    /// How many DescribeAlarms calls were made.
    public var describeCalls: Int { lock.withLock { calls } }

    public func alarms(names: [String], prefixes: [String]) throws -> [CloudWatch.Alarm] {
        try lock.withLock {
            calls += 1
            if isFailing {
                throw AgentError(.service, "CloudWatch DescribeAlarms failed: no complete answer from monitoring",
                                 next: .transient)
            }
            let matching = stored.values.filter { alarm in
                names.contains(alarm.name) || prefixes.contains { alarm.name.hasPrefix($0) }
            }
            return matching.filter { $0.kind == .metric }.sorted { $0.name < $1.name }
                + matching.filter { $0.kind == .composite }.sorted { $0.name < $1.name }
        }
    }
}
