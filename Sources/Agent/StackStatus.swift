/// A CloudFormation stack status (`StackStatus` in DescribeStacks), every documented
/// value plus `unknown` for one this agent does not know. Switch over it exhaustively.
public enum StackStatus: Hashable, Sendable, CustomStringConvertible {
    case createInProgress, createFailed, createComplete
    case rollbackInProgress, rollbackFailed, rollbackComplete
    case deleteInProgress, deleteFailed, deleteComplete
    case updateInProgress, updateCompleteCleanupInProgress, updateComplete, updateFailed
    case updateRollbackInProgress, updateRollbackFailed, updateRollbackCompleteCleanupInProgress
    case updateRollbackComplete
    case reviewInProgress
    case importInProgress, importComplete, importRollbackInProgress, importRollbackFailed
    case importRollbackComplete
    case unknown(String)

    /// Every documented status, for table tests.
    public static let documented: [StackStatus] = [
        .createInProgress, .createFailed, .createComplete,
        .rollbackInProgress, .rollbackFailed, .rollbackComplete,
        .deleteInProgress, .deleteFailed, .deleteComplete,
        .updateInProgress, .updateCompleteCleanupInProgress, .updateComplete, .updateFailed,
        .updateRollbackInProgress, .updateRollbackFailed, .updateRollbackCompleteCleanupInProgress,
        .updateRollbackComplete, .reviewInProgress,
        .importInProgress, .importComplete, .importRollbackInProgress, .importRollbackFailed,
        .importRollbackComplete,
    ]

    /// The status CloudFormation names `text` (`UPDATE_COMPLETE`); `unknown` otherwise.
    public init(_ text: String) {
        self = Self.documented.first { $0.description == text } ?? .unknown(text)
    }

    /// CloudFormation's spelling, `UPDATE_ROLLBACK_COMPLETE`.
    public var description: String {
        switch self {
        case .createInProgress: "CREATE_IN_PROGRESS"
        case .createFailed: "CREATE_FAILED"
        case .createComplete: "CREATE_COMPLETE"
        case .rollbackInProgress: "ROLLBACK_IN_PROGRESS"
        case .rollbackFailed: "ROLLBACK_FAILED"
        case .rollbackComplete: "ROLLBACK_COMPLETE"
        case .deleteInProgress: "DELETE_IN_PROGRESS"
        case .deleteFailed: "DELETE_FAILED"
        case .deleteComplete: "DELETE_COMPLETE"
        case .updateInProgress: "UPDATE_IN_PROGRESS"
        case .updateCompleteCleanupInProgress: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        case .updateComplete: "UPDATE_COMPLETE"
        case .updateFailed: "UPDATE_FAILED"
        case .updateRollbackInProgress: "UPDATE_ROLLBACK_IN_PROGRESS"
        case .updateRollbackFailed: "UPDATE_ROLLBACK_FAILED"
        case .updateRollbackCompleteCleanupInProgress: "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        case .updateRollbackComplete: "UPDATE_ROLLBACK_COMPLETE"
        case .reviewInProgress: "REVIEW_IN_PROGRESS"
        case .importInProgress: "IMPORT_IN_PROGRESS"
        case .importComplete: "IMPORT_COMPLETE"
        case .importRollbackInProgress: "IMPORT_ROLLBACK_IN_PROGRESS"
        case .importRollbackFailed: "IMPORT_ROLLBACK_FAILED"
        case .importRollbackComplete: "IMPORT_ROLLBACK_COMPLETE"
        case .unknown(let text): text
        }
    }

    /// An operation is running on the stack (whoever started it).
    public var isInProgress: Bool {
        switch self {
        case .createInProgress, .rollbackInProgress, .deleteInProgress, .updateInProgress,
             .updateCompleteCleanupInProgress, .updateRollbackInProgress, .updateRollbackCompleteCleanupInProgress,
             .importInProgress, .importRollbackInProgress: true
        case .createFailed, .createComplete, .rollbackFailed, .rollbackComplete, .deleteFailed, .deleteComplete,
             .updateComplete, .updateFailed, .updateRollbackFailed, .updateRollbackComplete, .reviewInProgress,
             .importComplete, .importRollbackFailed, .importRollbackComplete, .unknown: false
        }
    }
}

/// A change set's `Status`.
public enum ChangeSetStatus: Hashable, Sendable, CustomStringConvertible {
    case createPending, createInProgress, createComplete
    case deletePending, deleteInProgress, deleteComplete, deleteFailed
    case failed
    case unknown(String)

    public static let documented: [ChangeSetStatus] = [
        .createPending, .createInProgress, .createComplete, .deletePending, .deleteInProgress, .deleteComplete,
        .deleteFailed, .failed,
    ]

    public init(_ text: String) {
        self = Self.documented.first { $0.description == text } ?? .unknown(text)
    }

    public var description: String {
        switch self {
        case .createPending: "CREATE_PENDING"
        case .createInProgress: "CREATE_IN_PROGRESS"
        case .createComplete: "CREATE_COMPLETE"
        case .deletePending: "DELETE_PENDING"
        case .deleteInProgress: "DELETE_IN_PROGRESS"
        case .deleteComplete: "DELETE_COMPLETE"
        case .deleteFailed: "DELETE_FAILED"
        case .failed: "FAILED"
        case .unknown(let text): text
        }
    }
}

/// A change set's `ExecutionStatus`.
public enum ExecutionStatus: Hashable, Sendable, CustomStringConvertible {
    case unavailable, available, executeInProgress, executeComplete, executeFailed, obsolete
    case unknown(String)

    public static let documented: [ExecutionStatus] = [
        .unavailable, .available, .executeInProgress, .executeComplete, .executeFailed, .obsolete,
    ]

    public init(_ text: String) {
        self = Self.documented.first { $0.description == text } ?? .unknown(text)
    }

    public var description: String {
        switch self {
        case .unavailable: "UNAVAILABLE"
        case .available: "AVAILABLE"
        case .executeInProgress: "EXECUTE_IN_PROGRESS"
        case .executeComplete: "EXECUTE_COMPLETE"
        case .executeFailed: "EXECUTE_FAILED"
        case .obsolete: "OBSOLETE"
        case .unknown(let text): text
        }
    }

    /// Someone (this agent, before a crash perhaps) executed the change set: never
    /// execute it again; follow the stack instead.
    public var wasExecuted: Bool {
        switch self {
        case .executeInProgress, .executeComplete, .executeFailed: true
        case .unavailable, .available, .obsolete, .unknown: false
        }
    }
}
