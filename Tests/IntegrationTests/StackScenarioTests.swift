import Agent
import Foundation
import TestSupport
import Testing

/// The scenario table of `MemoryStacks` (AgentTests.MemoryStacksTests), run against moto
/// behind the failure stand-in, through the agent's own `CloudFormationStacks`: the
/// in-memory service and the wire must write the same trace.
@Suite struct StackScenarioTests {
    @Test(arguments: StackScenarios.all)
    func scenarioOnMotoBehindTheStandIn(_ scenario: StackScenario) throws {
        let proxy = try CloudFormationFailureStandIn()
        let config = try AWSTestConfig.make(endpoint: proxy.endpoint)
            .assumingRole(arn: "arn:aws:iam::\(AWSTestConfig.uniqueAccountId()):role/scenario")
        let stacks = CloudFormationStacks(config: config)
        let prefix = "s" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let trace = try scenario.trace(on: stacks, prefix: prefix, pause: { Thread.sleep(forTimeInterval: 0.05) })
        #expect(trace == scenario.expected)
        withExtendedLifetime(proxy) {}
    }
}
