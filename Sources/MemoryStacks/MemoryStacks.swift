import Agent
import AWS
import Foundation

/// CloudFormation in memory, for unit tests and the fleet simulator: the part of it the
/// agent depends on, as AWS documents it and moto plays it (MOTO.md), on an injected
/// clock. One instance is one account and region. Thread-safe (one lock).
///
/// - Stacks: `REVIEW_IN_PROGRESS` after a CREATE change set; executing moves them to
///   `CREATE_IN_PROGRESS`/`UPDATE_IN_PROGRESS` and, `Latency` simulated seconds later, to
///   `*_COMPLETE`; `DeleteStack` to `DELETE_IN_PROGRESS`, then gone.
/// - Change sets: `CREATE_PENDING` until computed; "no changes" in both of moto's forms
///   (a `FAILED` change set with CloudFormation's "didn't contain changes" reason; with
///   parameters and `Flavour.moto`, `nil` at once for "No updates are to be performed.").
///   `Flavour.aws` deletes a stack's other change sets on execution (AWS), `.moto` keeps them.
/// - A template line `FerryTestInvalid: "reason"` makes its change set `FAILED` with that reason.
/// - Failures: a template carrying the stand-in's marker
///   (`FerryTestFailure: {resource: Queue, reason: "..."}`, see
///   Tests/Support/cloudformation_failure_standin.py) or a `FailureRule` makes the operation
///   fail on that resource: resource `*_FAILED` event, `*ROLLBACK_IN_PROGRESS`, then
///   `UPDATE_ROLLBACK_COMPLETE` (`ROLLBACK_COMPLETE` for a first creation), or
///   `UPDATE_ROLLBACK_FAILED`/`ROLLBACK_FAILED` when the rule says the rollback fails. The
///   stack keeps what it ran before.
/// - Errors are the `AgentError`s `CloudFormationStacks` sorts AWS's into.
public final class MemoryStacks: StackService, @unchecked Sendable {
    /// Where AWS and moto differ, which one to play.
    public enum Flavour: Sendable {
        /// Executing a change set deletes the stack's other change sets; a no-change change
        /// set is always the `FAILED` form.
        case aws
        /// Every change set is kept after execution; a no-change change set with parameters
        /// is refused at once ("No updates are to be performed.").
        case moto
    }

    /// Simulated seconds an operation takes to go from `*_IN_PROGRESS` to its end.
    public struct Latency: Sendable, Equatable {
        public var changeSet: Double
        public var create: Double
        public var update: Double
        public var delete: Double
        /// From a failed resource to the end of CloudFormation's rollback.
        public var rollback: Double

        public init(changeSet: Double = 0, create: Double = 0, update: Double = 0, delete: Double = 0,
                    rollback: Double = 0) {
            self.changeSet = changeSet
            self.create = create
            self.update = update
            self.delete = delete
            self.rollback = rollback
        }
    }

    /// Makes the next executions on a stack fail, as the template marker does.
    public struct FailureRule: Sendable, Equatable {
        /// The stack's name; nil for every stack.
        public var stack: String?
        public var resource: String
        public var reason: String
        /// CloudFormation's rollback fails too (`UPDATE_ROLLBACK_FAILED`, `ROLLBACK_FAILED`).
        public var rollbackFails: Bool
        /// Executions it applies to; nil for all.
        public var times: Int?

        public init(stack: String? = nil, resource: String, reason: String, rollbackFails: Bool = false,
                    times: Int? = nil) {
            self.stack = stack
            self.resource = resource
            self.reason = reason
            self.rollbackFails = rollbackFails
            self.times = times
        }
    }

    /// What a stack runs, as GetTemplate and DescribeStacks tell it.
    public struct Deployed: Sendable, Equatable {
        public var template: String
        public var parameters: [String: String]
        public var tags: [String: String]
    }

    let lock = NSLock()
    let clock: any AgentClock
    public let latency: Latency
    public let flavour: Flavour
    var stacks: [String: StackEntry] = [:]
    var rules: [FailureRule] = []
    var eventCounter = 0
    var idCounter = 0
    var requestCounts: [String: Int] = [:]
    /// The rollback triggers of each stack's last CreateChangeSet (recorded, never played:
    /// no alarm rolls a stack back here, as on moto).
    var triggers: [String: RollbackTriggers?] = [:]
    /// Per stack, the id of the newest event `recentEvents` returned.
    var lastSeen: [String: String] = [:]
    let region: String
    let account: String

    public init(clock: any AgentClock, latency: Latency = Latency(), flavour: Flavour = .aws,
                account: String = "123456789012", region: String = "us-east-1") {
        self.clock = clock
        self.latency = latency
        self.flavour = flavour
        self.account = account
        self.region = region
    }

    // MARK: Set-up and inspection

    /// Adds a failure rule (see `FailureRule`).
    public func inject(_ rule: FailureRule) { locked { rules.append(rule) } }

    /// What `stack` runs now, or nil when there is no such stack or it never completed a creation.
    public func deployed(_ stack: String) -> Deployed? {
        locked {
            settle(stack)
            return stacks[stack]?.deployed
        }
    }

    /// The stack's status now (after settling what the clock says has finished).
    public func status(_ stack: String) -> StackStatus? {
        locked {
            settle(stack)
            return stacks[stack]?.status
        }
    }

    /// Every change set name of `stack`, sorted, with its execution status.
    public func changeSetNames(_ stack: String) -> [String] {
        locked { (stacks[stack]?.changeSets.keys).map { $0.sorted() } ?? [] }
    }

    /// The rollback triggers the last CreateChangeSet of `stack` passed (nil: none, or no call).
    public func rollbackTriggers(_ stack: String) -> RollbackTriggers? { locked { triggers[stack] ?? nil } }

    /// Calls so far, by action (`CreateChangeSet`...), as the fleet simulator reports them.
    public var requests: [String: Int] { locked { requestCounts } }

    /// Every stack's name, sorted.
    public var stackNames: [String] { locked { stacks.keys.sorted() } }

    /// Someone else's operation on `stack` shows `status` now (nothing else changes).
    public func setStatus(_ stack: String, _ status: StackStatus) {
        locked {
            stacks[stack]?.operation = nil
            stacks[stack]?.status = status
        }
    }

    /// Makes a change set exist as a crashed agent or a person left it (an empty template).
    public func placeChangeSet(stack: String, name: String, status: ChangeSetStatus, execution: ExecutionStatus) {
        locked {
            let request = ChangeSetRequest(stackName: stack, changeSetName: name, type: .update, template: .body(""),
                                           parameters: [:], tags: [:], capabilities: [], description: "left over")
            idCounter += 1
            stacks[stack]?.changeSets[name] = ChangeSetEntry(
                id: "changeSet/\(name)/\(idCounter)", request: request, createdAt: .distantPast, failure: nil,
                executionStatus: execution, placed: status)
        }
    }

    /// Puts a stack in place as someone else left it (no change set of Ferry's).
    public func place(_ name: String, status: StackStatus, template: String = "", parameters: [String: String] = [:],
                      tags: [String: String] = [:]) {
        locked {
            var entry = StackEntry(id: nextStackId(name), status: status)
            if status != .reviewInProgress {
                entry.deployed = Deployed(template: template, parameters: parameters, tags: tags)
            }
            stacks[name] = entry
        }
    }
}
