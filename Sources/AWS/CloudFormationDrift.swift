import Foundation

/// CloudFormation drift detection (Query API 2010-05-15): `DetectStackDrift` starts a
/// detection, `DescribeStackDriftDetectionStatus` follows it, `DescribeStackResourceDrifts`
/// lists what it found. moto 5.2.1 answers all three with HTTP 500 (docs/testing.md):
/// the tests run them through a stand-in (Tests/Support/cloudformation_drift_standin.py).
extension CloudFormation {
    /// `DescribeStackDriftDetectionStatus`'s answer.
    public struct DriftDetectionStatus: Sendable, Equatable {
        public let detectionId: String
        /// `DETECTION_IN_PROGRESS`, `DETECTION_FAILED`, `DETECTION_COMPLETE`.
        public let detectionStatus: String
        public let detectionStatusReason: String?
        /// `DRIFTED`, `IN_SYNC`, `UNKNOWN`, `NOT_CHECKED` (absent while in progress).
        public let stackDriftStatus: String?
        public let driftedResourceCount: Int?

        public init(detectionId: String, detectionStatus: String, detectionStatusReason: String? = nil,
                    stackDriftStatus: String? = nil, driftedResourceCount: Int? = nil) {
            self.detectionId = detectionId
            self.detectionStatus = detectionStatus
            self.detectionStatusReason = detectionStatusReason
            self.stackDriftStatus = stackDriftStatus
            self.driftedResourceCount = driftedResourceCount
        }
    }

    /// One `StackResourceDrift` member.
    public struct StackResourceDrift: Sendable, Equatable {
        public let logicalResourceId: String
        public let physicalResourceId: String?
        public let resourceType: String
        /// `IN_SYNC`, `MODIFIED`, `DELETED`, `NOT_CHECKED`, `UNKNOWN`, `UNSUPPORTED`.
        public let driftStatus: String
        /// For `MODIFIED`: each property that differs.
        public let propertyDifferences: [PropertyDifference]
    }

    /// One `PropertyDifference` member.
    public struct PropertyDifference: Sendable, Equatable {
        public let propertyPath: String
        /// `ADD`, `REMOVE`, `NOT_EQUAL`.
        public let differenceType: String
        public let expectedValue: String?
        public let actualValue: String?
    }

    /// `DetectStackDrift`: starts a drift detection of the stack; returns its
    /// `StackDriftDetectionId`.
    public func detectStackDrift(stackName: String) throws(AWSError) -> String {
        try query.call("DetectStackDrift", [("StackName", stackName)]).value("StackDriftDetectionId") ?? ""
    }

    /// `DescribeStackDriftDetectionStatus` of a detection `detectStackDrift` started.
    public func describeStackDriftDetectionStatus(detectionId: String) throws(AWSError) -> DriftDetectionStatus {
        let result = try query.call("DescribeStackDriftDetectionStatus", [("StackDriftDetectionId", detectionId)])
        return DriftDetectionStatus(
            detectionId: result.value("StackDriftDetectionId") ?? detectionId,
            detectionStatus: result.value("DetectionStatus") ?? "",
            detectionStatusReason: result.value("DetectionStatusReason"),
            stackDriftStatus: result.value("StackDriftStatus"),
            driftedResourceCount: result.value("DriftedResourceCount").flatMap { Int($0) })
    }

    /// `DescribeStackResourceDrifts` of the stack's last detection, every page; only
    /// resources in `statuses` when given (`StackResourceDriftStatusFilters`).
    public func describeStackResourceDrifts(stackName: String, statuses: [String] = []) throws(AWSError)
        -> [StackResourceDrift] {
        var parameters = QueryParameters()
        parameters.add("StackName", stackName)
        parameters.list("StackResourceDriftStatusFilters", statuses)
        var drifts: [StackResourceDrift] = []
        try query.pages("DescribeStackResourceDrifts", parameters.items) { page in
            drifts += page.members("StackResourceDrifts").map { member in
                StackResourceDrift(
                    logicalResourceId: member.value("LogicalResourceId") ?? "",
                    physicalResourceId: member.value("PhysicalResourceId"),
                    resourceType: member.value("ResourceType") ?? "",
                    driftStatus: member.value("StackResourceDriftStatus") ?? "",
                    propertyDifferences: member.members("PropertyDifferences").map {
                        PropertyDifference(propertyPath: $0.value("PropertyPath") ?? "",
                                           differenceType: $0.value("DifferenceType") ?? "",
                                           expectedValue: $0.value("ExpectedValue"), actualValue: $0.value("ActualValue"))
                    })
            }
            return true
        }
        return drifts
    }
}
