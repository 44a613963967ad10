import Foundation

extension CloudFormation {
    /// A stack parameter: a value, or "keep the previous value" on update.
    public struct Parameter: Sendable, Hashable, Codable {
        public let key: String
        public let value: String?
        public let usePreviousValue: Bool

        public init(key: String, value: String) {
            self.key = key
            self.value = value
            usePreviousValue = false
        }

        public init(keepingPreviousValueOf key: String) {
            self.key = key
            value = nil
            usePreviousValue = true
        }
    }

    /// A tag on a stack.
    public struct Tag: Sendable, Hashable, Codable {
        public let key: String
        public let value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The template of a change set or stack set: inline, or an S3 URL.
    public enum Template: Sendable, Equatable {
        case body(String)
        case url(String)
    }

    /// `CREATE` for a stack that does not exist yet, `UPDATE` for one that does.
    public enum ChangeSetType: String, Sendable { case create = "CREATE", update = "UPDATE", `import` = "IMPORT" }

    /// A stack's status, every value CloudFormation documents; `.other` keeps a value
    /// added later, so a new status never breaks parsing.
    public enum StackStatus: Sendable, Hashable, CustomStringConvertible {
        case createInProgress, createFailed, createComplete
        case rollbackInProgress, rollbackFailed, rollbackComplete
        case deleteInProgress, deleteFailed, deleteComplete
        case updateInProgress, updateCompleteCleanupInProgress, updateComplete, updateFailed
        case updateRollbackInProgress, updateRollbackFailed, updateRollbackCompleteCleanupInProgress, updateRollbackComplete
        case reviewInProgress
        case importInProgress, importComplete, importRollbackInProgress, importRollbackFailed, importRollbackComplete
        case other(String)

        private static let table: [(StackStatus, String)] = [
            (.createInProgress, "CREATE_IN_PROGRESS"), (.createFailed, "CREATE_FAILED"), (.createComplete, "CREATE_COMPLETE"),
            (.rollbackInProgress, "ROLLBACK_IN_PROGRESS"), (.rollbackFailed, "ROLLBACK_FAILED"),
            (.rollbackComplete, "ROLLBACK_COMPLETE"), (.deleteInProgress, "DELETE_IN_PROGRESS"),
            (.deleteFailed, "DELETE_FAILED"), (.deleteComplete, "DELETE_COMPLETE"), (.updateInProgress, "UPDATE_IN_PROGRESS"),
            (.updateCompleteCleanupInProgress, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), (.updateComplete, "UPDATE_COMPLETE"),
            (.updateFailed, "UPDATE_FAILED"), (.updateRollbackInProgress, "UPDATE_ROLLBACK_IN_PROGRESS"),
            (.updateRollbackFailed, "UPDATE_ROLLBACK_FAILED"),
            (.updateRollbackCompleteCleanupInProgress, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
            (.updateRollbackComplete, "UPDATE_ROLLBACK_COMPLETE"), (.reviewInProgress, "REVIEW_IN_PROGRESS"),
            (.importInProgress, "IMPORT_IN_PROGRESS"), (.importComplete, "IMPORT_COMPLETE"),
            (.importRollbackInProgress, "IMPORT_ROLLBACK_IN_PROGRESS"), (.importRollbackFailed, "IMPORT_ROLLBACK_FAILED"),
            (.importRollbackComplete, "IMPORT_ROLLBACK_COMPLETE"),
        ]

        /// Every documented status, for table tests.
        public static var documented: [StackStatus] { table.map(\.0) }

        public init(_ rawValue: String) {
            self = Self.table.first { $0.1 == rawValue }?.0 ?? .other(rawValue)
        }

        public var rawValue: String {
            if case .other(let raw) = self { return raw }
            return Self.table.first { $0.0 == self }!.1
        }

        public var description: String { rawValue }

        /// Still moving (`*_IN_PROGRESS`): wait.
        public var isInProgress: Bool { rawValue.hasSuffix("_IN_PROGRESS") }
    }

    /// A stack as `DescribeStacks` shows it.
    public struct Stack: Sendable, Equatable {
        public let stackId: String
        public let name: String
        public let status: StackStatus
        public let statusReason: String?
        public let parameters: [Parameter]
        public let outputs: [String: String]
        public let tags: [Tag]
        public let capabilities: [String]
        public let creationTime: Date?
        public let lastUpdatedTime: Date?
    }

    /// One resource change a change set would make.
    public struct ResourceChange: Sendable, Equatable {
        /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
        public let action: String
        public let logicalResourceId: String
        public let physicalResourceId: String?
        public let resourceType: String
        /// `True`, `False`, `Conditional` (for `Modify`).
        public let replacement: String?
    }

    /// A change set as `DescribeChangeSet` shows it (all pages of changes).
    public struct ChangeSet: Sendable, Equatable {
        public let changeSetId: String
        public let changeSetName: String
        public let stackId: String
        public let stackName: String
        /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `DELETE_*`, `FAILED`.
        public let status: String
        public let statusReason: String?
        /// `UNAVAILABLE`, `AVAILABLE`, `EXECUTE_IN_PROGRESS`, `EXECUTE_COMPLETE`, `EXECUTE_FAILED`, `OBSOLETE`.
        public let executionStatus: String?
        public let changes: [ResourceChange]
        public let parameters: [Parameter]
        public let creationTime: Date?

        /// A failed change set that only says "nothing to change": success for a deploy.
        public var hasNoChanges: Bool {
            status == "FAILED" && CloudFormation.isNoChangesMessage(statusReason ?? "")
        }
    }

    /// A change set in a listing.
    public struct ChangeSetSummary: Sendable, Equatable {
        public let changeSetId: String
        public let changeSetName: String
        /// The stack it belongs to (moto lists every stack's change sets: filter on it).
        public let stackName: String
        public let status: String
        public let executionStatus: String?
        public let statusReason: String?
        public let creationTime: Date?
    }

    /// One stack event.
    public struct StackEvent: Sendable, Equatable {
        public let eventId: String
        public let stackName: String
        public let logicalResourceId: String
        public let physicalResourceId: String?
        public let resourceType: String
        public let timestamp: Date?
        /// A stack status for the stack itself, a resource status (`CREATE_FAILED`...) otherwise.
        public let resourceStatus: String
        public let resourceStatusReason: String?
    }

    /// What `ValidateTemplate` reports.
    public struct TemplateSummary: Sendable, Equatable {
        public struct Parameter: Sendable, Equatable {
            public let key: String
            public let defaultValue: String?
            public let noEcho: Bool
            public let description: String?
        }
        public let parameters: [Parameter]
        public let capabilities: [String]
        public let capabilitiesReason: String?
        public let description: String?
    }

    /// A stack instance of a stack set.
    public struct StackInstance: Sendable, Equatable {
        public let stackSetId: String
        public let account: String
        public let region: String
        public let stackId: String?
        /// `CURRENT`, `OUTDATED`, `INOPERABLE`.
        public let status: String
        public let statusReason: String?
        public let organizationalUnitId: String?
        /// `SUCCEEDED`, `FAILED`, `PENDING`, `RUNNING`, `CANCELLED`, `INOPERABLE`.
        public let detailedStatus: String?
    }

    /// A stack set operation.
    public struct StackSetOperation: Sendable, Equatable {
        public let operationId: String
        /// `CREATE`, `UPDATE`, `DELETE`, `DETECT_DRIFT`.
        public let action: String?
        /// `RUNNING`, `SUCCEEDED`, `FAILED`, `STOPPING`, `STOPPED`, `QUEUED`.
        public let status: String
        public let statusReason: String?
        public let creationTime: Date?
        public let endTime: Date?
    }

    /// Text CloudFormation uses for "this change set / update changes nothing", both in a
    /// FAILED change set's reason and in CreateChangeSet's `ValidationError`.
    public static func isNoChangesMessage(_ text: String) -> Bool {
        text.contains("didn't contain changes") || text.contains("No updates are to be performed")
            || text.contains("does not contain changes")
    }

    /// CreateChangeSet answered `ValidationError: No updates are to be performed.`
    public static func isNoChanges(_ error: AWSError) -> Bool {
        error.code == .validationError && isNoChangesMessage(error.message)
    }

    // Parsing of the Query API's XML shapes.

    static func parameters(_ element: XMLElement) -> [Parameter] {
        element.members("Parameters").compactMap { member in
            guard let key = member.value("ParameterKey") else { return nil }
            if member.value("UsePreviousValue") == "true" { return Parameter(keepingPreviousValueOf: key) }
            return Parameter(key: key, value: member.value("ParameterValue") ?? "")
        }
    }

    static func stack(_ member: XMLElement) -> Stack {
        var outputs: [String: String] = [:]
        for output in member.members("Outputs") {
            if let key = output.value("OutputKey") { outputs[key] = output.value("OutputValue") ?? "" }
        }
        return Stack(
            stackId: member.value("StackId") ?? "", name: member.value("StackName") ?? "",
            status: StackStatus(member.value("StackStatus") ?? ""), statusReason: member.value("StackStatusReason"),
            parameters: parameters(member), outputs: outputs,
            tags: member.members("Tags").map { Tag(key: $0.value("Key") ?? "", value: $0.value("Value") ?? "") },
            capabilities: member.members("Capabilities").map(\.text),
            creationTime: member.value("CreationTime").flatMap(ISO8601.parse),
            lastUpdatedTime: member.value("LastUpdatedTime").flatMap(ISO8601.parse))
    }

    static func event(_ member: XMLElement) -> StackEvent {
        StackEvent(
            eventId: member.value("EventId") ?? "", stackName: member.value("StackName") ?? "",
            logicalResourceId: member.value("LogicalResourceId") ?? "",
            physicalResourceId: member.value("PhysicalResourceId"), resourceType: member.value("ResourceType") ?? "",
            timestamp: member.value("Timestamp").flatMap(ISO8601.parse), resourceStatus: member.value("ResourceStatus") ?? "",
            resourceStatusReason: member.value("ResourceStatusReason"))
    }

    static func change(_ member: XMLElement) -> ResourceChange? {
        guard let resource = member.child("ResourceChange") else { return nil }
        return ResourceChange(
            action: resource.value("Action") ?? "", logicalResourceId: resource.value("LogicalResourceId") ?? "",
            physicalResourceId: resource.value("PhysicalResourceId"), resourceType: resource.value("ResourceType") ?? "",
            replacement: resource.value("Replacement"))
    }
}
