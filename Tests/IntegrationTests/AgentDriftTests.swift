import AWS
import Agent
import Foundation
import Manifest
import TestSupport
import Testing

/// Drift detection and revert. moto 5.2.1 answers the drift calls with HTTP 500
/// (docs/testing.md), so these run through `CloudFormationDriftStandIn`, which answers
/// them from drift the test sets, and answers a drift-aware change set as AWS documents it;
/// the stacks themselves are moto's.
@Suite struct AgentDriftTests {
    static let queueDrift = CloudFormationDriftStandIn.Resource(
        logical: "Queue", type: "AWS::SQS::Queue",
        differences: [.init(path: "/Properties/VisibilityTimeout", expected: "30", actual: "600")])

    @Test func reportModeReportsDriftedResourcesButNotExcludedTypes() throws {
        let proxy = try CloudFormationDriftStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        try silo.publish("1.0.0", [
            .init(name: "app", template: queueTemplate("\(prefix)app-v1")),
            .init(name: "data", template: queueTemplate("\(prefix)data-v1")),
        ])
        try proxy.setDrift(stack: prefix + "app", [Self.queueDrift])
        try proxy.setDrift(stack: prefix + "data", [.init(logical: "Queue", type: "AWS::SQS::Queue", status: "DELETED")])
        let agent = try silo.agent(settings: silo.settings { flags in
            flags.drift = "report"
            flags.driftInterval = "1h"
            flags.driftExclude = ["AWS::SNS::*"]
        })
        #expect(agent.once().map(\.kind) == [.applied])

        let report = try #require(try silo.report())
        #expect(report.state == .inSync)
        let drift = try #require(report.drift)
        #expect(drift.mode == "report")
        #expect(drift.revertedAt == nil && drift.error == nil)
        #expect(drift.resources == [
            .init(stack: prefix + "app", resource: "Queue", type: "AWS::SQS::Queue", difference: "MODIFIED",
                  properties: ["/Properties/VisibilityTimeout NOT_EQUAL"]),
            .init(stack: prefix + "data", resource: "Queue", type: "AWS::SQS::Queue", difference: "DELETED"),
        ])
        // Reported, never reverted: no drift-aware change set was asked for.
        #expect(try proxy.calls().filter { $0.deploymentMode != nil }.isEmpty)
        let detections = try proxy.calls().filter { $0.action == "DetectStackDrift" }
        #expect(Set(detections.map(\.stack)) == [prefix + "app", prefix + "data"])

        // Not due again within the interval: an idle tick starts no detection.
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(try proxy.calls().filter { $0.action == "DetectStackDrift" }.count == detections.count)
        #expect(try silo.report()?.drift == drift)
    }

    @Test func excludedTypesAreLeftOut() throws {
        let proxy = try CloudFormationDriftStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(prefix)app-v1"))])
        try proxy.setDrift(stack: prefix + "app", [Self.queueDrift])
        let agent = try silo.agent(settings: silo.settings { flags in
            flags.drift = "revert"
            flags.driftExclude = ["AWS::SQS::*"]
        })
        #expect(agent.once().map(\.kind) == [.applied])
        let drift = try #require(try silo.report()?.drift)
        #expect(drift.resources.isEmpty)
        #expect(drift.revertedAt == nil)
        // Only excluded drift: nothing to revert.
        #expect(try proxy.calls().filter { $0.deploymentMode != nil }.isEmpty)
    }

    @Test func revertModeReappliesTheReleaseWithADriftAwareChangeSet() throws {
        let proxy = try CloudFormationDriftStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        try silo.publish("1.0.0", [
            .init(name: "app", template: queueTemplate("\(prefix)app-v1")),
            .init(name: "data", template: queueTemplate("\(prefix)data-v1")),
        ])
        try proxy.setDrift(stack: prefix + "app", [Self.queueDrift])
        let agent = try silo.agent(settings: silo.settings { flags in
            flags.drift = "revert"
            flags.driftInterval = "0"
        })
        #expect(agent.once().map(\.kind) == [.applied])

        let drift = try #require(try silo.report()?.drift)
        #expect(drift.mode == "revert")
        #expect(drift.resources.map(\.stack) == [prefix + "app"])
        #expect(drift.revertedAt != nil)
        #expect(drift.error == nil)
        // One drift-aware change set, of the drifted stack only, created and executed.
        let revert = try proxy.calls().filter { $0.deploymentMode == "REVERT_DRIFT" }
        #expect(revert.map(\.stack) == [prefix + "app"])
        let name = try #require(revert.first?.changeSet)
        #expect(try proxy.calls().contains { $0.action == "ExecuteChangeSet" && $0.changeSet == name })
        // The stack keeps the release's template.
        #expect(try silo.cloudFormation().getTemplate(stackName: prefix + "app").contains("\(prefix)app-v1"))

        // The next detection (interval 0: every reconcile) finds the stacks in sync.
        #expect(agent.tick().map(\.kind) == [.idle])
        let after = try #require(try silo.report()?.drift)
        #expect(after.resources.isEmpty)
        #expect(after.revertedAt == nil)
        #expect(try proxy.calls().filter { $0.deploymentMode == "REVERT_DRIFT" }.count == 1)
    }
}
