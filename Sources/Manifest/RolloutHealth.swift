import Foundation

/// The health gate of a channel's rollout (`rollout.health` in the pointer, written by the
/// rollout controller from the policy): which CloudWatch alarms count in each silo's own
/// account, how long a silo bakes after an update, and what `INSUFFICIENT_DATA` means.
/// The agent reads it from the signed pointer only; it never reads the pipeline definition.
public struct HealthGate: Codable, Hashable, Sendable {
    /// CloudFormation's limit on rollback triggers per stack operation.
    public static let triggerLimit = 5
    /// CloudFormation's limit on `MonitoringTimeInMinutes`.
    public static let monitoringLimitMinutes = 180

    /// Alarms by exact name.
    public var alarmNames: [String]
    /// Every alarm whose name starts with one of these.
    public var alarmPrefixes: [String]
    /// Seconds a silo watches its alarms after the update before it reports `healthy`.
    public var bakeSeconds: Int
    public var insufficientData: RolloutPolicy.InsufficientData

    public init(alarmNames: [String] = [], alarmPrefixes: [String] = [], bakeSeconds: Int = 0,
                insufficientData: RolloutPolicy.InsufficientData = .healthy) {
        self.alarmNames = alarmNames
        self.alarmPrefixes = alarmPrefixes
        self.bakeSeconds = bakeSeconds
        self.insufficientData = insufficientData
    }

    /// The gate of a policy: its alarms, bake and `insufficientData`; nil when the policy
    /// names no alarm (a bake alone is timed by the controller from the silos' reports,
    /// as before health gates, so agents of any version take part).
    public init?(policy: RolloutPolicy) {
        guard !policy.alarms.isEmpty else { return nil }
        var names: [String] = [], prefixes: [String] = []
        for alarm in policy.alarms {
            switch alarm {
            case .name(let name): names.append(name)
            case .prefix(let prefix): prefixes.append(prefix)
            }
        }
        self.init(alarmNames: names, alarmPrefixes: prefixes, bakeSeconds: policy.bake,
                  insufficientData: policy.insufficientData)
    }

    /// Whether an alarm of this name counts.
    public func counts(_ alarm: String) -> Bool {
        alarmNames.contains(alarm) || alarmPrefixes.contains { alarm.hasPrefix($0) }
    }

    /// CloudFormation's `MonitoringTimeInMinutes` for this gate: the bake rounded up to
    /// whole minutes, at most 180.
    public var monitoringMinutes: Int {
        min((bakeSeconds + 59) / 60, Self.monitoringLimitMinutes)
    }

    private enum CodingKeys: String, CodingKey { case alarmNames, alarmPrefixes, bakeSeconds, insufficientData }

    /// Members a newer writer may add are ignored; absent lists are empty; an
    /// `insufficientData` this Ferry does not know is read as `wait` (never as healthy).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alarmNames = try container.decodeIfPresent([String].self, forKey: .alarmNames) ?? []
        alarmPrefixes = try container.decodeIfPresent([String].self, forKey: .alarmPrefixes) ?? []
        bakeSeconds = try container.decodeIfPresent(Int.self, forKey: .bakeSeconds) ?? 0
        let rule = try container.decodeIfPresent(String.self, forKey: .insufficientData)
        insufficientData = rule.map { RolloutPolicy.InsufficientData(rawValue: $0) ?? .wait } ?? .healthy
    }

    func validate() throws(ManifestError) {
        guard bakeSeconds >= 0 else {
            throw ManifestError(.invalidValue, "the field `rollout.health.bakeSeconds` must not be negative",
                                field: "rollout.health.bakeSeconds")
        }
        guard !(alarmNames + alarmPrefixes).contains(where: \.isEmpty) else {
            throw ManifestError(.invalidValue, "`rollout.health` names an empty alarm or prefix",
                                field: "rollout.health")
        }
    }
}

extension RolloutPolicy.InsufficientData: Codable {}

/// A silo's health after applying a release under a health gate (`health` in its status
/// report): baking, healthy after the whole bake with no alarm, or unhealthy naming the
/// alarms. Only ever about `version`, the release the silo applied.
public struct SiloHealth: Codable, Hashable, Sendable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Watching the alarms; the bake has not ended (or an alarm has no data and the
        /// policy says to wait for it).
        case baking
        /// The whole bake passed with no counted alarm in `ALARM`.
        case healthy
        /// A counted alarm went to `ALARM` (or `INSUFFICIENT_DATA` where the policy says
        /// so) during the bake: final for this release.
        case unhealthy
    }

    public var state: State
    /// The release the health is about.
    public var version: SemVer
    /// When the bake started (the update finished), RFC 3339 UTC.
    public var bakeStartedAt: String
    /// The bake it was judged against, in seconds.
    public var bakeSeconds: Int
    /// Unhealthy: the alarms that made it so. Baking: the alarms still without data that
    /// it waits for. Healthy: empty.
    public var alarms: [String]
    /// How many alarms were watched at the last check.
    public var watched: Int
    /// Why, in words: "webapp-errors is ALARM: Threshold Crossed…".
    public var reason: String?

    public init(state: State, version: SemVer, bakeStartedAt: String, bakeSeconds: Int, alarms: [String] = [],
                watched: Int = 0, reason: String? = nil) {
        self.state = state
        self.version = version
        self.bakeStartedAt = bakeStartedAt
        self.bakeSeconds = bakeSeconds
        self.alarms = alarms
        self.watched = watched
        self.reason = reason
    }
}
