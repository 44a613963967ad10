import AWS
import Agent
import Foundation
import Manifest
import TestSupport
import Testing

/// `kill -9` of the real `ferry agent once` at each step of a deployment, then a restart:
/// the silo converges to what an uncrashed run gives, with exactly one ExecuteChangeSet
/// per change set (counted by the stand-in proxy, which also plays the failure of the
/// second scenario: moto never fails a stack). The kill comes from the test hook
/// `FERRY_TEST_KILL_AT=<checkpoint>[#n]`: SIGKILL right after the journal committed that step.
@Suite struct AgentCrashTests {
    enum Scenario: String, Sendable {
        /// A fresh silo: two stacks created.
        case fresh
        /// Two stacks updated; the second fails, the first is returned to the previous release.
        case failingUpdate
    }

    struct Case: Sendable, CustomStringConvertible {
        var scenario: Scenario
        var checkpoint: String
        var description: String { "\(scenario) killed at \(checkpoint)" }
    }

    /// One crash point per journal transaction (steps written in one transaction are one
    /// point: `deploy:begin` with the first `create-change-set:begin`, a failed stack's
    /// `stack:end` with `revert:begin`, the last `stack:end` with `deploy:end`).
    static let cases: [Case] = [
        "accept-channel:end", "downloaded", "unpacked", "deploy:begin", "create-change-set:end",
        "execute-change-set:begin", "execute-change-set:end", "stack:end", "create-change-set:begin#2",
        "create-change-set:end#2", "execute-change-set:begin#2", "execute-change-set:end#2", "deploy:end",
    ].map { Case(scenario: .fresh, checkpoint: $0) } + [
        "accept-channel:end", "downloaded", "unpacked", "deploy:begin", "create-change-set:end",
        "execute-change-set:begin", "execute-change-set:end", "stack:end", "create-change-set:begin#2",
        "create-change-set:end#2", "execute-change-set:begin#2", "execute-change-set:end#2", "stack:end#2",
        "create-change-set:begin#3", "create-change-set:end#3", "execute-change-set:begin#3",
        "execute-change-set:end#3", "deploy:end",
    ].map { Case(scenario: .failingUpdate, checkpoint: $0) }

    @Test(arguments: cases)
    func killedAtAStepThenRestartedConverges(_ test: Case) throws {
        let proxy = try CloudFormationFailureStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        let arguments = try silo.agentOnceArguments()
        let marker = CloudFormationFailureStandIn.marker(resource: "Queue", reason: "boom")
        switch test.scenario {
        case .fresh:
            try silo.publish("1.0.0", [
                .init(name: "data", template: queueTemplate("\(prefix)data-v1")),
                .init(name: "app", template: queueTemplate("\(prefix)app-v1"), dependsOn: ["data"]),
            ])
        case .failingUpdate:
            try silo.publish("1.0.0", [
                .init(name: "data", template: queueTemplate("\(prefix)data-v1")),
                .init(name: "app", template: queueTemplate("\(prefix)app-v1"), dependsOn: ["data"]),
            ])
            let first = try silo.ferry(arguments)
            #expect(first.status == 0, "\(first.stderr)")
            try silo.publish("1.1.0", [
                .init(name: "data", template: queueTemplate("\(prefix)data-v2")),
                .init(name: "app", template: queueTemplate("\(prefix)app-v2", metadata: marker), dependsOn: ["data"]),
            ])
        }

        let killed = try silo.ferry(arguments, environment: ["FERRY_TEST_KILL_AT": test.checkpoint])
        #expect(killed.killed && killed.status == SIGKILL, "not killed at \(test.checkpoint): \(killed.stderr)")
        let restarted = try silo.ferry(arguments)
        #expect(!restarted.killed, "\(restarted.stderr)")

        let executions = try proxy.executions(stackPrefix: prefix)
        #expect(executions.values.allSatisfy { $0 == 1 }, "\(executions)")
        #expect(try silo.journal().inFlight(pipeline: "webapp") == nil)
        let report = try #require(try silo.report())
        let cloud = try silo.cloudFormation()
        switch test.scenario {
        case .fresh:
            #expect(restarted.status == 0, "\(restarted.stdout) \(restarted.stderr)")
            #expect(executions.count == 2, "\(executions)")
            #expect(try cloud.describeStack(prefix + "data")?.status == .createComplete)
            #expect(try cloud.describeStack(prefix + "app")?.status == .createComplete)
            #expect(report.state == .inSync)
            #expect(report.applied == (try SemVer("1.0.0")))
        case .failingUpdate:
            // The restart finishes the failed release (exit 1), or finds it finished (idle).
            #expect(restarted.status == (test.checkpoint == "deploy:end" ? 0 : 1), "\(restarted.stdout)")
            #expect(executions.count == 5, "\(executions)")  // 2 of 1.0.0; data, app (failing), data returned
            #expect(try cloud.getTemplate(stackName: prefix + "data").contains("\(prefix)data-v1"))
            #expect(try cloud.getTemplate(stackName: prefix + "app").contains("\(prefix)app-v1"))
            #expect(report.state == .failed)
            #expect(report.error?.resource == "\(prefix)app/Queue")
            #expect(report.applied == (try SemVer("1.0.0")))
        }
    }
}
