import AWS
import Agent
import Foundation
import Manifest
import TestSupport
import Testing

/// A stack that fails in the middle of a release. moto never fails a stack (MOTO.md), so
/// these run through `CloudFormationFailureStandIn`, which plays CloudFormation's
/// documented failure sequence for a template carrying its marker; everything else is moto.
@Suite struct AgentFailureTests {
    static let reason = "Resource handler returned message: queue limit exceeded"

    @Test func aFailedSecondStackReturnsTheFirstToThePreviousRelease() throws {
        let proxy = try CloudFormationFailureStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        try silo.publish("1.0.0", [
            .init(name: "data", template: queueTemplate("\(prefix)data-v1")),
            .init(name: "app", template: queueTemplate("\(prefix)app-v1"), dependsOn: ["data"]),
        ])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])

        let marker = CloudFormationFailureStandIn.marker(resource: "Queue", reason: Self.reason)
        try silo.publish("1.1.0", [
            .init(name: "data", template: queueTemplate("\(prefix)data-v2")),
            .init(name: "app", template: queueTemplate("\(prefix)app-v2", metadata: marker), dependsOn: ["data"]),
        ])
        let outcome = try #require(agent.once().first)
        #expect(outcome.kind == .failed)
        #expect(outcome.error?.resource == "\(prefix)app/Queue")
        #expect(outcome.error?.message.contains(Self.reason) == true)

        let cloud = try silo.cloudFormation()
        // The first stack moved to 1.1.0, then was returned to 1.0.0's template.
        #expect(try cloud.getTemplate(stackName: prefix + "data").contains("\(prefix)data-v1"))
        #expect(try cloud.describeStack(prefix + "data")?.status == .updateComplete)
        // The failing stack was rolled back by CloudFormation (the stand-in) and keeps 1.0.0.
        #expect(try proxyStatus(proxy, silo: silo, stack: prefix + "app") == "UPDATE_ROLLBACK_COMPLETE")
        #expect(try cloud.getTemplate(stackName: prefix + "app").contains("\(prefix)app-v1"))

        let report = try #require(try silo.report())
        #expect(report.state == .failed)
        #expect(report.target == (try SemVer("1.1.0")))
        #expect(report.applied == (try SemVer("1.0.0")))
        #expect(report.error?.resource == "\(prefix)app/Queue")
        #expect(report.error?.message.contains(Self.reason) == true)
        #expect(report.events.contains { $0.resource == "Queue" && $0.status == "UPDATE_FAILED" && $0.reason == Self.reason })

        // data: created, moved, returned; app: created, then the failing execution (not forwarded).
        let executions = try proxy.calls().filter { $0.action == "ExecuteChangeSet" && $0.stack.hasPrefix(prefix) }
        #expect(executions.map(\.stack) == [prefix + "data", prefix + "app", prefix + "data", prefix + "app",
                                            prefix + "data"])
        #expect(executions.map(\.forwarded) == [true, true, true, false, true])
        #expect(Set(executions.map(\.changeSet)).count == 5)

        // The failed pointer is not retried: the next tick is idle.
        #expect(agent.tick().map(\.kind) == [.idle])
        // A new release (without the failure) applies over the rolled-back stack.
        try silo.publish("1.2.0", [
            .init(name: "data", template: queueTemplate("\(prefix)data-v2")),
            .init(name: "app", template: queueTemplate("\(prefix)app-v3"), dependsOn: ["data"]),
        ])
        #expect(agent.once().map(\.kind) == [.applied])
        #expect(try cloud.getTemplate(stackName: prefix + "app").contains("\(prefix)app-v3"))
        #expect(try silo.report()?.state == .inSync)
    }

    @Test func aFailedFirstCreationIsDeletedAndCreatedByTheNextRelease() throws {
        let proxy = try CloudFormationFailureStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let prefix = silo.stackPrefix
        let marker = CloudFormationFailureStandIn.marker(resource: "Queue", reason: Self.reason)
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(prefix)app-v1", metadata: marker))])
        let agent = try silo.agent()
        let failed = try #require(agent.once().first)
        #expect(failed.kind == .failed)
        #expect(failed.error?.resource == "\(prefix)app/Queue")
        let cloud = try silo.cloudFormation()
        #expect(try proxyStatus(proxy, silo: silo, stack: prefix + "app") == "ROLLBACK_COMPLETE")
        #expect(try silo.report()?.state == .failed)

        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(prefix)app-v2"))])
        #expect(agent.once().map(\.kind) == [.applied])
        #expect(try cloud.describeStack(prefix + "app")?.status == .createComplete)
        #expect(try cloud.getTemplate(stackName: prefix + "app").contains("\(prefix)app-v2"))
        let actions = try proxy.calls().filter { $0.stack == prefix + "app" }.map(\.action)
        let deletion = try #require(actions.firstIndex(of: "DeleteStack"))
        #expect(actions[deletion...].contains("CreateChangeSet"))
        #expect(try silo.report()?.state == .inSync)
    }

    /// The stack's status as the agent sees it (through the stand-in).
    private func proxyStatus(_ proxy: CloudFormationFailureStandIn, silo: SiloHarness, stack: String) throws -> String? {
        let config = try AWSTestConfig.make(endpoint: proxy.endpoint).assumingRole(arn: silo.roleArn)
        return try CloudFormation(config: config).describeStack(stack)?.status.rawValue
    }
}
