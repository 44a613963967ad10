import Foundation
import Manifest

/// What the agent does about CloudFormation drift (docs/agent.md, "Drift").
public enum DriftMode: String, Sendable, Equatable, CaseIterable {
    /// No drift detection.
    case off
    /// Detect on a schedule and report drifted resources in the status report.
    case report
    /// Detect, report, and re-apply the current release to drifted stacks with a
    /// drift-aware change set (`DeploymentMode: REVERT_DRIFT`).
    case revert
}

/// The drift settings of an agent: `drift`, `drift-interval`, `drift-exclude`.
public struct DriftSettings: Sendable, Equatable {
    public var mode: DriftMode
    /// Seconds between detections of a pipeline's stacks (0: every reconcile).
    public var interval: Double
    /// Resource types left out of reports and of the reasons to revert: `AWS::SQS::Queue`,
    /// or a prefix ending in `*` (`AWS::IAM::*`).
    public var excludedTypes: [String]

    public static let defaultInterval = 3_600.0

    public init(mode: DriftMode = .off, interval: Double = defaultInterval, excludedTypes: [String] = []) {
        self.mode = mode
        self.interval = interval
        self.excludedTypes = excludedTypes
    }
}

/// A drift detection as DescribeStackDriftDetectionStatus shows it.
public struct DriftDetection: Sendable, Equatable {
    public enum Status: String, Sendable {
        case inProgress = "DETECTION_IN_PROGRESS"
        case failed = "DETECTION_FAILED"
        case complete = "DETECTION_COMPLETE"
    }

    public var status: Status
    /// `DRIFTED`, `IN_SYNC`, `UNKNOWN`, `NOT_CHECKED`.
    public var stackDriftStatus: String?
    public var reason: String?

    public init(status: Status, stackDriftStatus: String? = nil, reason: String? = nil) {
        self.status = status
        self.stackDriftStatus = stackDriftStatus
        self.reason = reason
    }
}

/// One drifted resource as DescribeStackResourceDrifts shows it.
public struct ResourceDrift: Sendable, Equatable {
    public var stack: String
    public var logicalResourceId: String
    public var resourceType: String
    /// `MODIFIED` or `DELETED`.
    public var status: String
    /// For `MODIFIED`: `<property path> <ADD|REMOVE|NOT_EQUAL>`.
    public var properties: [String]

    public init(stack: String, logicalResourceId: String, resourceType: String, status: String,
                properties: [String] = []) {
        self.stack = stack
        self.logicalResourceId = logicalResourceId
        self.resourceType = resourceType
        self.status = status
        self.properties = properties
    }
}

/// The agent's drift decisions. Pure: the I/O is `Agent.checkDrift`.
public enum DriftDecision {
    /// Whether `pipeline`'s stacks are due a drift detection: drift is not `off`, the last
    /// report is `in-sync` (nothing deploys, nothing failed: drift of a release that is
    /// still moving means nothing), and the last detection is `interval` old or there is none.
    public static func isDue(_ settings: DriftSettings, last: StatusReport?, now: Date) -> Bool {
        guard settings.mode != .off, let last, last.state == .inSync, last.applied != nil else { return false }
        guard let checked = last.drift.flatMap({ Timestamp.parse($0.checkedAt) }) else { return true }
        return now.timeIntervalSince(checked) >= settings.interval
    }

    /// What one poll of a running detection means.
    public enum DetectionStep: Equatable, Sendable {
        case wait
        case drifted
        case inSync
        case failed(String)
    }

    /// A detection `polls` polls in (at most `limit`): still running, done, or failed.
    /// `UNKNOWN` or `NOT_CHECKED` counts as in sync only when nothing drifted; a detection
    /// that runs past `limit` polls fails (the next check starts a new one).
    public static func step(_ detection: DriftDetection, polls: Int, limit: Int) -> DetectionStep {
        switch detection.status {
        case .inProgress:
            return polls >= limit ? .failed("the drift detection did not finish in \(limit) polls") : .wait
        case .failed:
            // CloudFormation fails a detection when some resources could not be checked; those
            // it did check are still listed, so a DRIFTED stack is still reported.
            if detection.stackDriftStatus == "DRIFTED" { return .drifted }
            return .failed(detection.reason ?? "the drift detection failed")
        case .complete:
            return detection.stackDriftStatus == "DRIFTED" ? .drifted : .inSync
        }
    }

    /// The drift that counts: `MODIFIED` or `DELETED` resources not of an excluded type,
    /// in stack, then logical id, order.
    public static func findings(_ drifts: [ResourceDrift], excluding types: [String]) -> [ResourceDrift] {
        drifts.filter { ["MODIFIED", "DELETED"].contains($0.status) && !isExcluded($0.resourceType, by: types) }
            .sorted { ($0.stack, $0.logicalResourceId) < ($1.stack, $1.logicalResourceId) }
    }

    /// Whether `type` matches one of `patterns` (exactly, or by a prefix ending in `*`).
    public static func isExcluded(_ type: String, by patterns: [String]) -> Bool {
        patterns.contains { pattern in
            pattern.hasSuffix("*") ? type.hasPrefix(pattern.dropLast()) : type == pattern
        }
    }

    /// The stacks to re-apply, in the order given (the release's): with `revert`, those
    /// with findings.
    public static func stacksToRevert(_ mode: DriftMode, findings: [ResourceDrift], order: [String]) -> [String] {
        guard mode == .revert else { return [] }
        let drifted = Set(findings.map(\.stack))
        return order.filter(drifted.contains)
    }

    /// The report's drift section.
    public static func section(_ mode: DriftMode, findings: [ResourceDrift], checkedAt: Date, revertedAt: Date? = nil,
                               error: String? = nil) -> StatusReport.Drift {
        StatusReport.Drift(
            mode: mode.rawValue, checkedAt: Timestamp.format(checkedAt),
            resources: findings.map {
                StatusReport.Drift.Resource(stack: $0.stack, resource: $0.logicalResourceId, type: $0.resourceType,
                                            difference: $0.status, properties: $0.properties.isEmpty ? nil : $0.properties)
            },
            revertedAt: revertedAt.map(Timestamp.format), error: error)
    }
}
