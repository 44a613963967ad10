import AWS

/// A CloudFormation stack status: the AWS module's, every documented value plus `other`
/// for one this agent does not know. Switch over it exhaustively.
public typealias StackStatus = CloudFormation.StackStatus

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
