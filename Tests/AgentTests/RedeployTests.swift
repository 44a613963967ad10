import Agent
import Foundation
import Manifest
import MemoryStacks
import Testing

/// Issue 13, "a silo reports a version it does not run": going back to a release this
/// silo ran before (channel 1.0.0, pin 1.1.0, unpin) must move the stacks back with new
/// change sets, and the silo is in sync at 1.0.0 only once CloudFormation runs 1.0.0.
@Suite struct RedeployTests {
    @Test(arguments: [MemoryStacks.Flavour.moto, .aws])
    func unpinningReturnsTheStacksToTheChannelsRelease(flavour: MemoryStacks.Flavour) throws {
        let silo = try Silo()
        let cloud = MemoryStacks(clock: silo.clock, flavour: flavour)
        let channel = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("q-100"))])
        let pinned = try silo.release("1.1.0", serial: 1, source: .pin,
                                      [StackDraft(name: "app", template: queueTemplate("q-110"))])
        #expect(try silo.apply(channel, on: cloud) == .applied(changed: ["app"], unchanged: []))
        #expect(try silo.apply(pinned, on: cloud) == .applied(changed: ["app"], unchanged: []))
        #expect(cloud.deployed("app")?.template == queueTemplate("q-110"))
        #expect(try silo.report().applied == (try SemVer("1.1.0")))

        // Unpinned: the channel's target again, with the serial it had before.
        #expect(try silo.apply(channel, on: cloud) == .applied(changed: ["app"], unchanged: []))
        #expect(cloud.requests["CreateChangeSet"] == 3)
        #expect(cloud.requests["ExecuteChangeSet"] == 3)
        #expect(cloud.deployed("app")?.template == queueTemplate("q-100"))
        let report = try silo.report()
        let expected = try SemVer("1.0.0")
        #expect(report.state == .inSync && report.applied == expected)
    }

    @Test func aStackIsSkippedOnlyWhenCloudFormationRunsTheSpec() throws {
        let silo = try Silo()
        let cloud = MemoryStacks(clock: silo.clock)
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("q-100"),
                                                                     parameters: ["Stage": "prod"])])
        #expect(try silo.apply(plan, on: cloud) == .applied(changed: ["app"], unchanged: []))
        let again = try silo.release("1.0.0", serial: 2, [StackDraft(name: "app", template: queueTemplate("q-100"),
                                                                      parameters: ["Stage": "prod"])])
        #expect(try silo.apply(again, on: cloud) == .applied(changed: [], unchanged: ["app"]))
        #expect(cloud.requests["CreateChangeSet"] == 1)

        // Someone changed the stack behind Ferry's back: the journal's record is not trusted.
        cloud.place("app", status: .updateComplete, template: queueTemplate("q-other"), parameters: ["Stage": "prod"])
        let third = try silo.release("1.0.0", serial: 3, [StackDraft(name: "app", template: queueTemplate("q-100"),
                                                                      parameters: ["Stage": "prod"])])
        #expect(try silo.apply(third, on: cloud) == .applied(changed: ["app"], unchanged: []))
        #expect(cloud.deployed("app")?.template == queueTemplate("q-100"))
    }

    @Test func changeSetNamesDifferBetweenAttemptsOfTheSameTarget() throws {
        let silo = try Silo()
        let cloud = MemoryStacks(clock: silo.clock, flavour: .moto)
        let one = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("q-100"))])
        let two = try silo.release("1.1.0", serial: 2, [StackDraft(name: "app", template: queueTemplate("q-110"))])
        _ = try silo.apply(one, on: cloud)
        _ = try silo.apply(two, on: cloud)
        _ = try silo.apply(one, on: cloud)
        let names = cloud.changeSetNames("app")
        #expect(names.count == 3 && Set(names).count == 3)
        #expect(names.allSatisfy { $0.hasPrefix(DeployPlan.changeSetPrefix) })
    }
}
