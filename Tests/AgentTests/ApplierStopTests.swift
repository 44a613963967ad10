import Agent
import Foundation
import Testing

/// SIGTERM/SIGINT reach the Applier as `stopRequested`: it stops at the next safe point
/// (after a journal write, before the next call), leaves the deployment in flight, and a
/// later run resumes it without executing a change set twice.
@Suite struct ApplierStopTests {
    @Test(arguments: 1...8)
    func aStopBetweenStepsLeavesTheDeploymentToResume(stopAfterCalls: Int) throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1")),
            StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
        ])
        let cloud = silo.cloud
        let seen = CallsAtStop()
        let stopping = Applier(journal: try silo.journal(), clock: silo.clock,
                               templateURL: { sha256, _ in "https://example.com/\(sha256)" }, services: { _ in cloud },
                               stopRequested: {
                                   guard cloud.calls.count >= stopAfterCalls else { return false }
                                   if seen.count == nil { seen.count = cloud.calls.count }
                                   return true
                               })
        let stopped = try stopping.apply(plan)
        guard case .suspended(let error) = stopped else {
            Issue.record("not stopped: \(stopped)")
            return
        }
        #expect(error.code == .interrupted)
        #expect(error.message.contains("resumes at the next start"))
        #expect(cloud.calls.count == seen.count)  // no call after the stop was seen
        let journal = try silo.journal()
        #expect(try journal.inFlight(pipeline: "webapp")?.plan.target == plan.target)
        #expect(try journal.history(pipeline: "webapp").last?.step == "stop")

        let resumed = try silo.applier(try silo.journal()).resume(pipeline: "webapp")
        #expect(resumed == .applied(changed: ["data", "app"], unchanged: []))
        #expect(cloud.executions.values.sorted() == [1, 1])
    }
}

private final class CallsAtStop: @unchecked Sendable {
    var count: Int?
}
