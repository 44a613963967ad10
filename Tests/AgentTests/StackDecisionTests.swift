import Agent
import Testing

/// The per-stack decisions as tables over every CloudFormation status.
@Suite struct StackDecisionTests {
    enum Kind: Equatable { case skip, follow, create, update, deleteThenCreate, wait, needsPerson }

    static func kind(_ decision: StackDecision) -> Kind {
        switch decision {
        case .skip: .skip
        case .follow: .follow
        case .change(.create): .create
        case .change(.update): .update
        case .deleteThenCreate: .deleteThenCreate
        case .wait: .wait
        case .needsPerson: .needsPerson
        }
    }

    /// For each status: the decision when the spec is the one applied, and when it changed.
    static let table: [(StackStatus, applied: Kind, changed: Kind)] = [
        (.createInProgress, .wait, .wait),
        (.createFailed, .needsPerson, .needsPerson),
        (.createComplete, .skip, .update),
        (.rollbackInProgress, .wait, .wait),
        (.rollbackFailed, .needsPerson, .needsPerson),
        (.rollbackComplete, .deleteThenCreate, .deleteThenCreate),
        (.deleteInProgress, .wait, .wait),
        (.deleteFailed, .needsPerson, .needsPerson),
        (.deleteComplete, .create, .create),
        (.updateInProgress, .wait, .wait),
        (.updateCompleteCleanupInProgress, .wait, .wait),
        (.updateComplete, .skip, .update),
        (.updateFailed, .needsPerson, .needsPerson),
        (.updateRollbackInProgress, .wait, .wait),
        (.updateRollbackFailed, .needsPerson, .needsPerson),
        (.updateRollbackCompleteCleanupInProgress, .wait, .wait),
        (.updateRollbackComplete, .update, .update),  // the last update failed: not "applied"
        (.reviewInProgress, .deleteThenCreate, .deleteThenCreate),
        (.importInProgress, .wait, .wait),
        (.importComplete, .skip, .update),
        (.importRollbackInProgress, .wait, .wait),
        (.importRollbackFailed, .needsPerson, .needsPerson),
        (.importRollbackComplete, .update, .update),
        (.other("SOMETHING_NEW"), .needsPerson, .needsPerson),
    ]

    @Test func tableCoversEveryDocumentedStatus() {
        #expect(Set(Self.table.map(\.0)).isSuperset(of: StackStatus.documented))
        #expect(StackStatus.documented.count == 23)
    }

    static let spec = StackSpec(name: "data", templatePath: "/r/data.yaml", templateSha256: "t1",
                                parameters: ["Stage": "prod"], tags: ["team": "data"], capabilities: [], region: nil)

    @Test(arguments: table.map(\.0))
    func decisionPerStatus(_ status: StackStatus) {
        let row = Self.table.first { $0.0 == status }!
        // What CloudFormation says the stack runs: the spec itself, or another template.
        let same = ObservedStack(name: "data", status: status, parameters: ["Stage": "prod", "Extra": "default"],
                                 tags: ["team": "data"], templateSha256: "t1")
        var other = same
        other.templateSha256 = "t0"
        #expect(Self.kind(StackDecision.decide(stack: same, spec: Self.spec, ownChangeSet: nil, executedByUs: false))
                == row.applied)
        #expect(Self.kind(StackDecision.decide(stack: other, spec: Self.spec, ownChangeSet: nil, executedByUs: false))
                == row.changed)
        // Once this agent executed its change set it only follows, whatever the status.
        #expect(StackDecision.decide(stack: other, spec: Self.spec, ownChangeSet: nil, executedByUs: true) == .follow)
        // The status round-trips through CloudFormation's spelling.
        #expect(StackStatus(status.description) == status)
    }

    /// A stack runs a spec only when CloudFormation shows its template, parameters and
    /// tags; an unread template is "no" (issue 13: never "in sync" on a name or a journal).
    @Test func runsComparesWhatCloudFormationShows() {
        let running = ObservedStack(name: "data", status: .updateComplete, parameters: ["Stage": "prod"],
                                    tags: ["team": "data", "aws:cloudformation:stack-name": "data"],
                                    templateSha256: "t1")
        #expect(running.runs(Self.spec))
        var unread = running
        unread.templateSha256 = nil
        var otherParameter = running
        otherParameter.parameters["Stage"] = "dev"
        var missingTag = running
        missingTag.tags = [:]
        #expect(!unread.runs(Self.spec) && !otherParameter.runs(Self.spec) && !missingTag.runs(Self.spec))
        #expect(StackDecision.decide(stack: unread, spec: Self.spec, ownChangeSet: nil, executedByUs: false)
                == .change(.update))
    }

    @Test func absentStackIsCreatedAndOwnChangeSetIsReused() {
        #expect(StackDecision.decide(stack: nil, spec: Self.spec, ownChangeSet: nil, executedByUs: false)
                == .change(.create))
        let own = ObservedChangeSet(name: "ferry-1-abc", status: .createComplete, executionStatus: .available)
        let review = ObservedStack(name: "data", status: .reviewInProgress)
        #expect(StackDecision.decide(stack: review, spec: Self.spec, ownChangeSet: own, executedByUs: false)
                == .change(.create))
        let executed = ObservedChangeSet(name: "ferry-1-abc", status: .createComplete, executionStatus: .executeComplete)
        let updating = ObservedStack(name: "data", status: .updateInProgress)
        #expect(StackDecision.decide(stack: updating, spec: Self.spec, ownChangeSet: executed, executedByUs: false)
                == .follow)
    }

    static let changeSetTable: [(ChangeSetStatus, ExecutionStatus, String?, ChangeSetStep)] = [
        (.createPending, .unavailable, nil, .await),
        (.createInProgress, .unavailable, nil, .await),
        (.createComplete, .available, nil, .execute),
        (.createComplete, .unavailable, nil, .await),
        (.createComplete, .obsolete, nil, .replace),
        (.createComplete, .unknown("NEW"), nil, .replace),
        (.failed, .unavailable, "The submitted information didn't contain changes. Submit different information to create a change set.", .noChange),
        (.failed, .unavailable, "No updates are to be performed.", .noChange),
        (.failed, .unavailable, "Template format error: unresolved resource", .failed(reason: "Template format error: unresolved resource")),
        (.deletePending, .unavailable, nil, .await),
        (.deleteInProgress, .unavailable, nil, .await),
        (.deleteComplete, .unavailable, nil, .await),
        (.unknown("NEW"), .unavailable, nil, .replace),
    ]

    @Test func ownChangeSetSteps() {
        #expect(ChangeSetStep.judge(nil) == .create)
        for (status, execution, reason, expected) in Self.changeSetTable {
            let set = ObservedChangeSet(name: "ferry-1-abc", status: status, executionStatus: execution, statusReason: reason)
            #expect(ChangeSetStep.judge(set) == expected, "\(status) \(execution)")
        }
        let deleteFailed = ObservedChangeSet(name: "x", status: .deleteFailed, executionStatus: .unavailable)
        if case .failed = ChangeSetStep.judge(deleteFailed) {} else { Issue.record("DELETE_FAILED should fail") }
    }

    /// After ExecuteChangeSet: how each status reads, with the change set already executed.
    static let operationTable: [(StackStatus, OperationVerdict)] = StackStatus.documented.map { status in
        switch status {
        case .createComplete, .updateComplete, .importComplete: (status, .succeeded)
        case .updateRollbackComplete, .rollbackComplete, .importRollbackComplete: (status, .rolledBack(status: status))
        case .updateRollbackFailed, .rollbackFailed, .createFailed, .updateFailed, .deleteFailed, .importRollbackFailed:
            (status, .needsPerson(status: status))
        case .deleteComplete: (status, .vanished)
        default: (status, .running)
        }
    }

    @Test func operationVerdicts() {
        let runningStatuses = Self.operationTable.filter { $0.1 == .running }.map(\.0)
        #expect(runningStatuses.allSatisfy { $0.isInProgress || $0 == .reviewInProgress })
        for (status, expected) in Self.operationTable {
            let stack = ObservedStack(name: "data", status: status)
            let done = ObservedChangeSet(name: "c", status: .createComplete, executionStatus: .executeComplete)
            #expect(OperationVerdict.judge(stack: stack, changeSet: done) == expected, "\(status)")
        }
        // Right after ExecuteChangeSet the stack may still show its old terminal status.
        let old = ObservedStack(name: "data", status: .updateRollbackComplete)
        for execution in [ExecutionStatus.available, .executeInProgress] {
            let set = ObservedChangeSet(name: "c", status: .createComplete, executionStatus: execution)
            #expect(OperationVerdict.judge(stack: old, changeSet: set) == .running)
        }
        #expect(OperationVerdict.judge(stack: nil, changeSet: nil) == .vanished)
        #expect(OperationVerdict.judge(stack: ObservedStack(name: "d", status: .other("X")), changeSet: nil)
                == .needsPerson(status: .other("X")))
    }

    @Test func deletionVerdicts() {
        #expect(DeletionVerdict.judge(nil) == .gone)
        for status in StackStatus.documented {
            let verdict = DeletionVerdict.judge(ObservedStack(name: "d", status: status))
            switch status {
            case .deleteComplete: #expect(verdict == .gone)
            case .deleteInProgress, .rollbackComplete, .reviewInProgress: #expect(verdict == .running)
            default:
                if case .failed = verdict {} else { Issue.record("\(status) during a deletion should fail") }
            }
        }
    }

    @Test func firstFailingResourceOfTheOperation() {
        func event(_ id: Int, _ resource: String, _ status: String, _ reason: String? = nil) -> StackEvent {
            StackEvent(id: "\(id)", stack: "app", logicalResourceId: resource, status: status, reason: reason,
                       time: "2024-05-01T12:00:\(10 + id)Z")
        }
        // Newest first, as CloudFormation pages them; an older operation's failure below.
        let events = [
            event(9, "app", "UPDATE_ROLLBACK_COMPLETE"),
            event(8, "Topic", "UPDATE_FAILED", "Resource update cancelled"),
            event(7, "app", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Queue]"),
            event(6, "Queue", "UPDATE_FAILED", "Access Denied"),
            event(5, "Queue", "UPDATE_IN_PROGRESS"),
            event(4, "app", "UPDATE_IN_PROGRESS", "User Initiated"),
            event(3, "Bucket", "UPDATE_FAILED", "an older operation's failure"),
            event(2, "app", "UPDATE_IN_PROGRESS", "User Initiated"),
        ]
        let failure = firstFailure(in: events, stack: "app")
        #expect(failure?.resource == "app/Queue" && failure?.reason == "Access Denied")
        // moto has stack-level events only: the stack's own reason is used.
        let stackOnly = [event(3, "app", "UPDATE_ROLLBACK_COMPLETE"),
                         event(2, "app", "UPDATE_ROLLBACK_IN_PROGRESS", "Resource Queue failed"),
                         event(1, "app", "UPDATE_IN_PROGRESS", "User Initiated")]
        let fallback = firstFailure(in: stackOnly, stack: "app")
        #expect(fallback?.resource == "app" && fallback?.reason == "Resource Queue failed")
        #expect(firstFailure(in: [], stack: "app") == nil)
    }
}
