import Foundation

/// How a release rolls out across one channel's silos, as the pipeline definition's
/// `rollout.<channel>` declares it (docs/pipelines.md): the waves in order, how long each
/// bakes, how many failures it tolerates, which alarms count, and when no wave may open.
public struct RolloutPolicy: Hashable, Sendable {
    public var waves: [WaveSelector]
    /// Seconds a silo must have reported in sync, with no alarm, before the next wave opens.
    public var bake: Int
    /// Failures tolerated in one wave, and over the whole rollout.
    public var maxFailures: FailureLimits
    /// CloudWatch alarms, evaluated in each silo's own account.
    public var alarms: [AlarmMatch]
    public var insufficientData: InsufficientData
    public var unreported: Unreported
    /// Whether a halt also moves the opened waves back to the previous release.
    public var rollbackOnHalt: Bool
    /// Whether a halt also quarantines the bad version.
    public var quarantineOnHalt: Bool
    public var freezes: [Freeze]

    public init(waves: [WaveSelector], bake: Int = 0, maxFailures: FailureLimits = FailureLimits(),
                alarms: [AlarmMatch] = [], insufficientData: InsufficientData = .healthy, unreported: Unreported = .wait,
                rollbackOnHalt: Bool = true, quarantineOnHalt: Bool = true, freezes: [Freeze] = []) {
        self.waves = waves
        self.bake = bake
        self.maxFailures = maxFailures
        self.alarms = alarms
        self.insufficientData = insufficientData
        self.unreported = unreported
        self.rollbackOnHalt = rollbackOnHalt
        self.quarantineOnHalt = quarantineOnHalt
        self.freezes = freezes
    }

    /// A number of silos, or a share of them.
    public enum Tolerance: Hashable, Sendable, CustomStringConvertible {
        case count(Int)
        /// 0–100 percent of the silos counted (a wave's, or the fleet's).
        case percent(Int)

        /// Whether `failures` out of `total` silos pass this tolerance.
        public func isExceeded(failures: Int, of total: Int) -> Bool {
            switch self {
            case .count(let limit): failures > limit
            case .percent(let share): failures * 100 > share * total
            }
        }

        public var description: String {
            switch self {
            case .count(let count): "\(count)"
            case .percent(let share): "\(share)%"
            }
        }
    }

    public struct FailureLimits: Hashable, Sendable {
        public var wave: Tolerance
        public var total: Tolerance

        /// Default: no failure tolerated.
        public init(wave: Tolerance = .count(0), total: Tolerance = .count(0)) {
            self.wave = wave
            self.total = total
        }
    }

    /// An alarm by its exact name, or every alarm whose name starts with a prefix.
    public enum AlarmMatch: Hashable, Sendable, CustomStringConvertible {
        case name(String)
        case prefix(String)

        public func matches(_ alarm: String) -> Bool {
            switch self {
            case .name(let name): alarm == name
            case .prefix(let prefix): alarm.hasPrefix(prefix)
            }
        }

        public var description: String {
            switch self {
            case .name(let name): name
            case .prefix(let prefix): prefix + "*"
            }
        }
    }

    /// What an alarm in `INSUFFICIENT_DATA` means.
    public enum InsufficientData: String, Hashable, Sendable, CaseIterable {
        /// Counts as OK (CloudFormation's rollback triggers treat it so).
        case healthy
        /// Counts as a failure, like `ALARM`.
        case unhealthy
        /// Neither: the silo has not baked until the alarm has data.
        case wait
    }

    /// What the controller does about a silo of the current wave that does not report.
    public enum Unreported: Hashable, Sendable {
        /// Wait for it, however long.
        case wait
        /// Leave it out of the wave once it has been silent this many seconds.
        case skipAfter(Int)
    }

    /// A window in which no wave opens, unless forced with a reason.
    public struct Freeze: Hashable, Sendable {
        public var from: Date
        public var until: Date
        public var reason: String

        public init(from: Date, until: Date, reason: String) {
            self.from = from
            self.until = until
            self.reason = reason
        }

        public func contains(_ instant: Date) -> Bool { from <= instant && instant < until }
    }

    /// The freeze in force at `now`, if any.
    public func freeze(at now: Date) -> Freeze? { freezes.first { $0.contains(now) } }
}
