import Foundation

/// The part of a deployment that survives a crash: saved in the journal after every
/// step, read back by a restarted agent. (What the machine is waiting for right now is
/// not saved: a restarted agent looks at CloudFormation again.)
public struct DeploymentState: Codable, Equatable, Sendable {
    public enum Phase: Equatable, Sendable {
        /// Moving stacks to the target, in apply order.
        case forward
        /// `failedStack` failed (`failure` says why): returning the stacks this release
        /// moved, in reverse order.
        case reverting(failedStack: String, failure: FailureRecord)

        /// `forward` or `reverting`, as the journal spells it.
        public var name: String {
            switch self {
            case .forward: "forward"
            case .reverting: "reverting"
            }
        }
    }

    public var plan: DeployPlan
    /// This attempt's id, in its change set names (`DeployPlan.changeSetName`); empty in a
    /// deployment begun before schema 2 (the names of before).
    public var attempt: String
    public var phase: Phase
    /// Forward: the position in `plan.stacks`. Reverting: the position in `moved.reversed()`.
    public var index: Int
    /// Stacks this release changed (an executed change set succeeded), in order.
    public var moved: [String]
    /// Stacks already at the target (skipped, or CloudFormation found no changes).
    public var unchanged: [String]
    /// Change sets this agent executed: never executed again.
    public var executed: [String]
    /// A stack whose deletion this agent asked for (ROLLBACK_COMPLETE, empty REVIEW_IN_PROGRESS).
    public var deleting: String?
    /// Stacks returned to the previous release; stacks new in this release left in place.
    public var reverted: [String]
    public var leftInPlace: [String]
    /// When the current stack was first seen busy with someone else's operation.
    public var busySince: String?
    /// Why the deployment is suspended (waiting, or needing a person), for the report.
    public var waiting: FailureRecord?
    /// When the deployment started, RFC 3339 UTC.
    public var startedAt: String
    /// Stack events worth reporting (terminal statuses, the failing operation's events).
    public var events: [StackEvent]
    /// A newer target arrived: stop at the next safe point (after any operation of this
    /// agent that is running), without reverting.
    public var superseded: Bool

    public init(plan: DeployPlan, attempt: String, startedAt: String) {
        self.plan = plan
        self.attempt = attempt
        self.phase = .forward
        self.index = 0
        self.moved = []
        self.unchanged = []
        self.executed = []
        self.deleting = nil
        self.reverted = []
        self.leftInPlace = []
        self.busySince = nil
        self.waiting = nil
        self.startedAt = startedAt
        self.events = []
        self.superseded = false
    }

    // The journal's JSON keeps the phase flat (`phase`, `failedStack`, `failure`), as
    // schema 1 wrote it; `reverting` without its failed stack and failure is refused.
    private enum CodingKeys: String, CodingKey {
        case plan, attempt, phase, index, moved, unchanged, executed, deleting, failedStack, failure, reverted
        case leftInPlace, busySince, waiting, startedAt, events, superseded
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        plan = try values.decode(DeployPlan.self, forKey: .plan)
        attempt = try values.decode(String.self, forKey: .attempt)
        switch try values.decode(String.self, forKey: .phase) {
        case "forward":
            phase = .forward
        case "reverting":
            phase = .reverting(failedStack: try values.decode(String.self, forKey: .failedStack),
                               failure: try values.decode(FailureRecord.self, forKey: .failure))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .phase, in: values,
                                                   debugDescription: "'\(other)' is not forward or reverting")
        }
        index = try values.decode(Int.self, forKey: .index)
        moved = try values.decode([String].self, forKey: .moved)
        unchanged = try values.decode([String].self, forKey: .unchanged)
        executed = try values.decode([String].self, forKey: .executed)
        deleting = try values.decodeIfPresent(String.self, forKey: .deleting)
        reverted = try values.decode([String].self, forKey: .reverted)
        leftInPlace = try values.decode([String].self, forKey: .leftInPlace)
        busySince = try values.decodeIfPresent(String.self, forKey: .busySince)
        waiting = try values.decodeIfPresent(FailureRecord.self, forKey: .waiting)
        startedAt = try values.decode(String.self, forKey: .startedAt)
        events = try values.decode([StackEvent].self, forKey: .events)
        superseded = try values.decode(Bool.self, forKey: .superseded)
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(plan, forKey: .plan)
        try values.encode(attempt, forKey: .attempt)
        try values.encode(phase.name, forKey: .phase)
        if case .reverting(let failedStack, let failure) = phase {
            try values.encode(failedStack, forKey: .failedStack)
            try values.encode(failure, forKey: .failure)
        }
        try values.encode(index, forKey: .index)
        try values.encode(moved, forKey: .moved)
        try values.encode(unchanged, forKey: .unchanged)
        try values.encode(executed, forKey: .executed)
        try values.encodeIfPresent(deleting, forKey: .deleting)
        try values.encode(reverted, forKey: .reverted)
        try values.encode(leftInPlace, forKey: .leftInPlace)
        try values.encodeIfPresent(busySince, forKey: .busySince)
        try values.encodeIfPresent(waiting, forKey: .waiting)
        try values.encode(startedAt, forKey: .startedAt)
        try values.encode(events, forKey: .events)
        try values.encode(superseded, forKey: .superseded)
    }

    /// The most events a deployment keeps for its report.
    public static let eventLimit = 20

    mutating func remember(_ new: [StackEvent]) {
        events.append(contentsOf: new)
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }
}

/// One call to CloudFormation the machine asks for.
public struct StackCall: Equatable, Sendable {
    public enum Request: Equatable, Sendable {
        /// DescribeStacks, then (when it exists) ListChangeSets.
        case observe
        case deleteChangeSets([String])
        case deleteStack
        /// DescribeStacks while a deletion runs.
        case awaitDeletion
        case createChangeSet(name: String, type: ChangeSetType, spec: StackSpec)
        /// DescribeChangeSet while CloudFormation computes it.
        case awaitChangeSet(name: String)
        case executeChangeSet(name: String)
        /// DescribeStacks and DescribeChangeSet while the executed operation runs.
        case follow(changeSet: String)
        /// DescribeStackEvents of the failed operation.
        case readEvents(since: String?)

        /// The request without its arguments.
        public enum Kind: Sendable {
            case observe, deleteChangeSets, deleteStack, awaitDeletion, createChangeSet, awaitChangeSet
            case executeChangeSet, follow, readEvents
        }

        public var kind: Kind {
            switch self {
            case .observe: .observe
            case .deleteChangeSets: .deleteChangeSets
            case .deleteStack: .deleteStack
            case .awaitDeletion: .awaitDeletion
            case .createChangeSet: .createChangeSet
            case .awaitChangeSet: .awaitChangeSet
            case .executeChangeSet: .executeChangeSet
            case .follow: .follow
            case .readEvents: .readEvents
            }
        }
    }

    public var stack: String
    public var region: String?
    public var request: Request

    public init(stack: String, region: String?, request: Request) {
        self.stack = stack
        self.region = region
        self.request = request
    }

    /// Whether the call changes something in CloudFormation (journalled before and after).
    public var isMutating: Bool {
        switch request {
        case .deleteChangeSets, .deleteStack, .createChangeSet, .executeChangeSet: true
        case .observe, .awaitDeletion, .awaitChangeSet, .follow, .readEvents: false
        }
    }

    /// The step's name in the journal: `create-change-set`.
    public var stepName: String {
        switch request {
        case .observe: "observe"
        case .deleteChangeSets: "delete-change-sets"
        case .deleteStack: "delete-stack"
        case .awaitDeletion: "await-deletion"
        case .createChangeSet: "create-change-set"
        case .awaitChangeSet: "await-change-set"
        case .executeChangeSet: "execute-change-set"
        case .follow: "follow"
        case .readEvents: "read-events"
        }
    }
}

/// A line of the journal the machine asks to write (in the same transaction as the
/// state it leads to).
public enum JournalNote: Equatable, Sendable {
    case step(stack: String?, step: String, phase: StepPhase, detail: String)
    /// The stack now runs this record's spec.
    case stackApplied(StackRecord)
    /// The journal no longer knows what the stack runs (a stack new in a failed release,
    /// left in place).
    case stackForgotten(String)
}

/// Whether a step-log line opens or closes a step.
public enum StepPhase: String, Codable, Sendable {
    case begin
    case end
}

/// What the deploy state machine asks the `Applier` to do next.
public enum Action: Equatable, Sendable {
    /// Write this to the journal (with the state, before the next call).
    case record(JournalNote)
    /// Wait `after` seconds, then make this call and report its result.
    case perform(StackCall, after: Double)
    /// The deployment is over for this run.
    case finish(DeployOutcome)
}

/// How a run of a deployment ended.
public enum DeployOutcome: Equatable, Sendable {
    /// Every stack runs the target.
    case applied(changed: [String], unchanged: [String])
    /// The release failed here; moved stacks were returned (see `DeployFailure`). The
    /// target is marked failed for this silo and serial: it is not retried.
    case failed(DeployFailure)
    /// Still in flight: waiting (a busy stack), a person must act on a stack, or the
    /// network failed. The journal keeps the deployment; the next run resumes it.
    case suspended(AgentError)
    /// A newer target replaced this one at a safe point.
    case superseded
}

/// Why a release failed, and what the agent did about it.
public struct DeployFailure: Equatable, Sendable {
    /// `stackFailed`, `changeSetFailed`, `stackNeedsPerson`, `stackVanished` or
    /// `revertFailed`; `resource` names the stack or `stack/LogicalId`.
    public var error: AgentError
    public var stack: String
    /// Stacks returned to the previous release, in the order it was done.
    public var reverted: [String]
    /// Stacks new in this release, left in place (there is no earlier version of them).
    public var leftInPlace: [String]
    public var events: [StackEvent]

    public init(error: AgentError, stack: String, reverted: [String], leftInPlace: [String], events: [StackEvent]) {
        self.error = error
        self.stack = stack
        self.reverted = reverted
        self.leftInPlace = leftInPlace
        self.events = events
    }
}

/// The machine's waits and limits.
public struct Timing: Sendable, Equatable {
    /// Between DescribeChangeSet calls while CloudFormation computes a change set.
    public var changeSetPoll: Double
    /// Between DescribeStacks calls while a stack operation or deletion runs.
    public var stackPoll: Double
    /// When a stack is busy with someone else's operation: retry after this long...
    public var busyRetry: Double
    /// ...and say a person is needed once it has been busy this long.
    public var busyLimit: Double
    /// Waits before retrying a transiently failed call; their count is the retry limit.
    public var backoff: [Double]
    /// The first poll after a change (a change set created or executed, a deletion
    /// asked for) comes after this long; each further poll of the same wait waits twice
    /// as long, up to `changeSetPoll` or `stackPoll`.
    public var firstPoll: Double

    public init(changeSetPoll: Double = 2, stackPoll: Double = 5, busyRetry: Double = 30, busyLimit: Double = 3600,
                backoff: [Double] = [1, 2, 4, 8, 16], firstPoll: Double = 0.1) {
        self.changeSetPoll = changeSetPoll
        self.stackPoll = stackPoll
        self.busyRetry = busyRetry
        self.busyLimit = busyLimit
        self.backoff = backoff
        self.firstPoll = firstPoll
    }
}
