import Agent
import Foundation
import Testing

/// A crash at every CloudFormation call of a deployment — before the call takes effect
/// and after it took effect but before the agent heard the answer — then a fresh
/// Applier over the same journal: the silo converges to what an uncrashed run gives,
/// with exactly one ExecuteChangeSet per change set.
@Suite struct CrashResumeTests {
    struct Scenario: CustomStringConvertible, Sendable {
        var description: String
        /// Brings the silo to where the crashing deployment starts; returns its plan.
        var prepare: @Sendable (Silo) throws -> DeployPlan
    }

    static let scenarios: [Scenario] = [
        Scenario(description: "update of two stacks") { silo in
            _ = try silo.apply(try silo.release("1.0.0", serial: 1, [
                StackDraft(name: "data", template: queueTemplate("data-v1")),
                StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
            ]))
            return try silo.release("1.1.0", serial: 2, [
                StackDraft(name: "data", template: queueTemplate("data-v2")),
                StackDraft(name: "app", template: queueTemplate("app-v2"), dependsOn: ["data"]),
            ])
        },
        Scenario(description: "second stack fails, first returned") { silo in
            _ = try silo.apply(try silo.release("1.0.0", serial: 1, [
                StackDraft(name: "data", template: queueTemplate("data-v1")),
                StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
            ]))
            return try silo.release("1.1.0", serial: 2, [
                StackDraft(name: "data", template: queueTemplate("data-v2")),
                StackDraft(name: "app", template: queueTemplate("app-v2", failMarker("boom")),
                           dependsOn: ["data"]),
            ])
        },
        Scenario(description: "ROLLBACK_COMPLETE deleted and created, leftover change set cleaned") { silo in
            silo.cloud.place("data", status: .rollbackComplete)
            silo.cloud.place("app", status: .createComplete, template: queueTemplate("app-v0"))
            silo.cloud.placeChangeSet(stack: "app", name: "ferry-7-0123456789ab", status: .createComplete,
                                      execution: .available)
            return try silo.release("1.0.0", serial: 8, [
                StackDraft(name: "data", template: queueTemplate("data-v1")),
                StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
            ])
        },
    ]

    @Test(arguments: scenarios)
    func crashAtEveryCallConverges(scenario: Scenario) throws {
        let reference = try Silo()
        let plan = try scenario.prepare(reference)
        let start = reference.cloud.calls.count
        let expected = try summary(reference.apply(plan))
        let callCount = reference.cloud.calls.count - start
        #expect(callCount > 10)

        for afterEffect in [false, true] {
            for crashAt in 1...callCount {
                let silo = try Silo()
                let plan = try scenario.prepare(silo)
                silo.cloud.crashAt = crashAt
                silo.cloud.crashAfterEffect = afterEffect
                #expect(throws: ScriptedCloudFormation.SimulatedCrash.self, "crash at call \(crashAt)") {
                    _ = try silo.apply(plan)
                }
                let outcome = try summary(silo.apply(plan))
                let label = "crash at call \(crashAt) (\(silo.cloud.calls[start + crashAt - 1])), after effect: \(afterEffect)"
                #expect(outcome == expected, "\(label)")
                // The same change sets, each attempt naming its own (`-<attempt>` dropped).
                #expect(Self.withoutAttempts(silo.cloud.executions) == Self.withoutAttempts(reference.cloud.executions),
                        "\(label)")
                #expect(silo.cloud.executions.values.allSatisfy { $0 == 1 }, "\(label)")
                for (name, stack) in reference.cloud.stacks {
                    #expect(silo.cloud.stacks[name]?.status == stack.status, "\(label): \(name)")
                    #expect(silo.cloud.stacks[name]?.template == stack.template, "\(label): \(name)")
                }
                let journal = try silo.journal()
                #expect(try journal.inFlight(pipeline: "webapp") == nil, "\(label)")
                #expect(try digests(journal) == digests(reference.journal()), "\(label)")
            }
        }
    }

    private func digests(_ journal: Journal) throws -> [String: String] {
        try journal.stackRecords(pipeline: "webapp").mapValues { "\($0.spec.digest) \($0.version)" }
    }

    /// The outcome without event times (which depend on the clock).
    private func summary(_ outcome: DeployOutcome) -> String {
        switch outcome {
        case .applied(let changed, let unchanged):
            "applied changed=\(changed) unchanged=\(unchanged)"
        case .failed(let failure):
            "failed \(failure.stack) \(failure.error.code) \(failure.error.resource ?? "-") reverted=\(failure.reverted) "
                + "left=\(failure.leftInPlace)"
        case .suspended(let error):
            "suspended \(error.code) \(error.message)"
        case .superseded:
            "superseded"
        }
    }

    /// Execution counts by change set name without its attempt suffix.
    static func withoutAttempts(_ executions: [String: Int]) -> [String: Int] {
        Dictionary(executions.map { (String($0.key[..<($0.key.lastIndex(of: "-") ?? $0.key.endIndex)]), $0.value) },
                   uniquingKeysWith: +)
    }
}
