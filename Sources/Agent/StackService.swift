import AWS
import Foundation

/// CloudFormation, as the agent sees it: the handful of calls the deploy state machine
/// needs, in one region. The lead implements it over the AWS module; tests use a
/// scripted double where moto cannot play a sequence (moto never fails a stack).
///
/// Errors: throw `AgentError` — `.rejected` with `.needsPerson` for a `ValidationError`
/// (bad template or parameter), `.service` with `.transient` for the network, HTTP 5xx
/// and throttling, `.service` with `.needsPerson` for access denied. Any other error is
/// treated as transient.
public protocol StackService {
    /// DescribeStacks by name; `nil` when no such stack exists ("does not exist").
    func describeStack(name: String) throws -> ObservedStack?
    /// CreateChangeSet; returns its id, or `nil` when CloudFormation answered at once
    /// "No updates are to be performed." (a `ValidationError` moto gives for a no-change
    /// change set with parameters).
    func createChangeSet(_ request: ChangeSetRequest) throws -> String?
    /// DescribeChangeSet; `nil` when the change set does not exist.
    func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet?
    /// ExecuteChangeSet.
    func executeChangeSet(stack: String, name: String) throws
    /// DeleteChangeSet.
    func deleteChangeSet(stack: String, name: String) throws
    /// ListChangeSets of this stack only (moto lists every stack's: filter by stack name).
    func listChangeSets(stack: String) throws -> [ObservedChangeSet]
    /// GetTemplate (`Original`): the template body the stack runs; `nil` while a first
    /// creation has not completed. What a stack runs is decided from this and
    /// `ObservedStack.parameters`, never from a change set's name.
    func deployedTemplate(stack: String) throws -> String?
    /// DeleteStack (returns at once; follow with `describeStack`).
    func deleteStack(name: String) throws
    /// DescribeStackEvents, newest first as CloudFormation pages them; only events at
    /// or after `since` (RFC 3339) when given — stop paging past it.
    func events(stack: String, since: String?) throws -> [StackEvent]
    /// The stack's events not returned before, oldest first — on the first call, those of
    /// the operation running now. Only for the log, while the agent follows an operation.
    func recentEvents(stack: String) throws -> [StackEvent]
    /// DetectStackDrift: starts a drift detection of the stack; returns its id.
    func detectDrift(stack: String) throws -> String
    /// DescribeStackDriftDetectionStatus of a detection `detectDrift` started.
    func driftDetection(id: String) throws -> DriftDetection
    /// DescribeStackResourceDrifts of the stack's last detection: its `MODIFIED` and
    /// `DELETED` resources only.
    func resourceDrifts(stack: String) throws -> [ResourceDrift]
}

extension StackService {
    /// No live events (a service that cannot page events cheaply).
    public func recentEvents(stack: String) throws -> [StackEvent] { [] }

    /// A service without drift detection says so (`drift: off` needs none of these).
    public func detectDrift(stack: String) throws -> String { throw Self.noDriftDetection }
    public func driftDetection(id: String) throws -> DriftDetection { throw Self.noDriftDetection }
    public func resourceDrifts(stack: String) throws -> [ResourceDrift] { throw Self.noDriftDetection }

    private static var noDriftDetection: AgentError {
        AgentError(.service, "this stack service cannot detect drift; set drift: off", next: .needsPerson)
    }
}

/// A stack as DescribeStacks shows it.
public struct ObservedStack: Equatable, Sendable {
    public var name: String
    public var status: StackStatus
    public var statusReason: String?
    /// The parameters the stack runs with (defaults of the template included; `NoEcho`
    /// values masked).
    public var parameters: [String: String]
    public var tags: [String: String]
    /// SHA-256 of the template the stack runs (GetTemplate), when the agent asked for it:
    /// the `Applier` does for a stack in a `*_COMPLETE` status before deciding to skip it.
    public var templateSha256: String?

    public init(name: String, status: StackStatus, statusReason: String? = nil, parameters: [String: String] = [:],
                tags: [String: String] = [:], templateSha256: String? = nil) {
        self.name = name
        self.status = status
        self.statusReason = statusReason
        self.parameters = parameters
        self.tags = tags
        self.templateSha256 = templateSha256
    }

    /// Whether CloudFormation says the stack runs `spec`: the same template bytes, and
    /// each of the spec's parameters and tags with the same value. Unknown
    /// (`templateSha256` not read) is "no".
    public func runs(_ spec: StackSpec) -> Bool {
        templateSha256 == spec.templateSha256
            && spec.parameters.allSatisfy { parameters[$0.key] == $0.value }
            && spec.tags.allSatisfy { tags[$0.key] == $0.value }
    }
}

/// A change set as DescribeChangeSet or ListChangeSets shows it.
public struct ObservedChangeSet: Equatable, Sendable {
    public var name: String
    public var status: ChangeSetStatus
    public var executionStatus: ExecutionStatus
    public var statusReason: String?
    /// The resources it adds, modifies or removes (DescribeChangeSet's `Changes`; empty
    /// from ListChangeSets).
    public var changes: [ResourceChange] = []

    public init(name: String, status: ChangeSetStatus, executionStatus: ExecutionStatus, statusReason: String? = nil) {
        self.name = name
        self.status = status
        self.executionStatus = executionStatus
        self.statusReason = statusReason
    }

    /// A `FAILED` change set that failed only because nothing would change: success
    /// without change. The wording is CloudFormation's, recognised in one place
    /// (`CloudFormation.isNoChangesMessage`).
    public var isNoChange: Bool {
        guard status == .failed, let reason = statusReason else { return false }
        return CloudFormation.isNoChangesMessage(reason)
    }
}

/// One resource a change set changes.
public struct ResourceChange: Codable, Equatable, Sendable {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    public var action: String
    public var logicalResourceId: String
    public var resourceType: String

    public init(action: String, logicalResourceId: String, resourceType: String) {
        self.action = action
        self.logicalResourceId = logicalResourceId
        self.resourceType = resourceType
    }
}

/// One DescribeStackEvents entry.
public struct StackEvent: Codable, Equatable, Sendable {
    public var id: String
    public var stack: String
    /// The logical id; equal to the stack's name for events about the stack itself.
    public var logicalResourceId: String
    public var resourceType: String?
    /// `UPDATE_FAILED`, `CREATE_COMPLETE`...
    public var status: String
    public var reason: String?
    /// RFC 3339 UTC (fractions allowed).
    public var time: String

    public init(id: String, stack: String, logicalResourceId: String, resourceType: String? = nil, status: String,
                reason: String? = nil, time: String) {
        self.id = id
        self.stack = stack
        self.logicalResourceId = logicalResourceId
        self.resourceType = resourceType
        self.status = status
        self.reason = reason
        self.time = time
    }

    /// Whether the event is about the stack itself rather than one of its resources.
    public var isAboutStack: Bool { logicalResourceId == stack }
}

/// `CREATE` or `UPDATE`: chosen by the agent from DescribeStacks, never guessed by the
/// service (moto creates a second stack for a CREATE change set on an existing one).
public enum ChangeSetType: String, Codable, Sendable {
    case create = "CREATE"
    case update = "UPDATE"
}

/// Where CloudFormation reads the template from.
public enum TemplateSource: Equatable, Sendable {
    /// The template text, for templates of at most `ChangeSetRequest.bodyLimit` bytes.
    case body(String)
    /// An S3 URL of the content-addressed template, for larger ones.
    case url(String)
}

/// CreateChangeSet's arguments.
public struct ChangeSetRequest: Equatable, Sendable {
    /// CloudFormation's limit on a `TemplateBody`, in bytes; larger templates go by URL.
    public static let bodyLimit = 51_200

    public var stackName: String
    public var changeSetName: String
    public var type: ChangeSetType
    public var template: TemplateSource
    public var parameters: [String: String]
    public var tags: [String: String]
    public var capabilities: [String]
    /// "ferry webapp 1.4.2 (channel stable, serial 42)", for people reading the console.
    public var description: String
    /// CloudFormation's rollback triggers for this operation (the rollout's health gate), or nil.
    public var rollbackTriggers: RollbackTriggers?
    /// A drift-aware change set (`DeploymentMode: REVERT_DRIFT`): CloudFormation compares
    /// the template with the resources' actual state, so an unchanged template still
    /// brings drifted resources back (`drift: revert`).
    public var revertDrift = false

    public init(stackName: String, changeSetName: String, type: ChangeSetType, template: TemplateSource,
                parameters: [String: String], tags: [String: String], capabilities: [String], description: String,
                rollbackTriggers: RollbackTriggers? = nil) {
        self.rollbackTriggers = rollbackTriggers
        self.stackName = stackName
        self.changeSetName = changeSetName
        self.type = type
        self.template = template
        self.parameters = parameters
        self.tags = tags
        self.capabilities = capabilities
        self.description = description
    }
}

/// CreateChangeSet's `RollbackConfiguration`: the alarms (ARNs, at most
/// `HealthGate.triggerLimit`) CloudFormation watches during the operation and for
/// `monitoringMinutes` after it; an `ALARM` among them rolls the stack back.
public struct RollbackTriggers: Equatable, Sendable {
    public var alarmArns: [String]
    public var monitoringMinutes: Int

    public init(alarmArns: [String], monitoringMinutes: Int) {
        self.alarmArns = alarmArns
        self.monitoringMinutes = monitoringMinutes
    }
}

/// Time for the agent: read it, and wait. Tests pass a clock that only pretends to wait.
public protocol AgentClock {
    func now() -> Date
    /// Blocks the calling thread for `seconds`.
    func sleep(seconds: Double)
}

/// The wall clock and `Thread.sleep`.
public struct SystemClock: AgentClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }
}
