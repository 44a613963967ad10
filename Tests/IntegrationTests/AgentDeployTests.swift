import AWS
import Agent
import Basics
import Foundation
import HTTP
import Manifest
import TestSupport
import Testing

/// The agent in one silo account on moto: a release applied, an idle tick, a new
/// release that changes one stack of two.
@Suite struct AgentDeployTests {
    @Test func freshSiloAppliesTheReleaseThenIdlesOnTwoConditionalGets() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [
            .init(name: "data", template: queueTemplate("\(silo.stackPrefix)data-v1")),
            .init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"), dependsOn: ["data"]),
        ])
        var agent: Agent? = try silo.agent()
        #expect(agent?.silo == silo.silo)  // from GetCallerIdentity of the assumed role
        let first = try #require(agent).once()
        var created = PipelineOutcome(pipeline: "webapp", kind: .applied, target: try SemVer("1.0.0"))
        // What the change sets did (from DescribeChangeSet), for notifications.
        created.changes = ChangeSummary(added: ["\(silo.stackPrefix)app/Queue (AWS::SQS::Queue)",
                                                "\(silo.stackPrefix)data/Queue (AWS::SQS::Queue)"])
        #expect(first == [created])

        let cloud = try silo.cloudFormation()
        for name in ["data", "app"] {
            #expect(try cloud.describeStack(silo.stackPrefix + name)?.status == .createComplete, "\(name)")
        }
        #expect(try cloud.getTemplate(stackName: silo.stackPrefix + "app").contains("\(silo.stackPrefix)app-v1"))
        let report = try #require(try silo.report())
        #expect(report.state == .inSync)
        #expect(report.applied == (try SemVer("1.0.0")))
        #expect(report.target == (try SemVer("1.0.0")))
        #expect(report.targetSerial == 1)
        #expect(report.events.contains { $0.stack == silo.stackPrefix + "app" && $0.status == "CREATE_COMPLETE" })

        silo.http.resetRequestCounts()
        let second = try #require(agent).tick()
        #expect(second.map(\.kind) == [.idle])
        #expect(silo.http.requestCounts.total == 2)
        #expect(silo.http.requestCounts[.get] == 2)
        #expect(try silo.report()?.reportedAt == report.reportedAt)  // no status write

        // A restarted agent on the same state folder is idle too, and never asks STS again.
        agent = nil  // releases the state folder
        let restarted = try silo.agent()
        silo.http.resetRequestCounts()
        #expect(restarted.tick().map(\.kind) == [.idle])
        #expect(silo.http.requestCounts.total == 2)
    }

    @Test func anIdleDaemonReadsItsPinEveryPinIntervalAndRewritesItsReportEveryHeartbeat() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app"))])
        let agent = try silo.agent(settings: try silo.settings { flags in
            flags.interval = "0.1"
            flags.pinInterval = "1h"
            flags.heartbeat = "5"  // long enough that a loaded machine still ticks once within it
        })
        #expect(agent.once().map(\.kind) == [.applied])
        let applied = try #require(try silo.report())
        #expect(applied.heartbeatSeconds == 5)
        let appliedAt = Date()

        // Within the pin interval and the heartbeat: the channel pointer only, one GET.
        silo.http.resetRequestCounts()
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(silo.http.requestCounts.total == 1 && silo.http.requestCounts[.get] == 1)
        #expect(try silo.report()?.reportedAt == applied.reportedAt)

        // A heartbeat later, the idle agent writes the same report again, newer.
        Thread.sleep(until: appliedAt.addingTimeInterval(5.1))
        silo.http.resetRequestCounts()
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(silo.http.requestCounts[.get] == 1 && silo.http.requestCounts[.put] == 1)
        let beat = try #require(try silo.report())
        #expect(beat.state == .inSync && beat.applied == applied.applied)
        #expect(try #require(Timestamp.parse(beat.reportedAt)) > (try #require(Timestamp.parse(applied.reportedAt))))
    }

    @Test func aNewReleaseUpdatesOnlyTheStacksWhoseDigestChanged() throws {
        let proxy = try CloudFormationFailureStandIn()  // here only to count ExecuteChangeSet calls
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let data = ReleaseFixture.Stack(name: "data", template: queueTemplate("\(silo.stackPrefix)data-v1"))
        try silo.publish("1.0.0", [data, .init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"),
                                                dependsOn: ["data"])])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        try silo.publish("1.1.0", [data, .init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"),
                                                dependsOn: ["data"])])
        var updated = PipelineOutcome(pipeline: "webapp", kind: .applied, target: try SemVer("1.1.0"))
        updated.changes = ChangeSummary(modified: ["\(silo.stackPrefix)app/Queue (AWS::SQS::Queue)"])  // only app moved
        #expect(agent.once() == [updated])

        let calls = try proxy.calls().filter { $0.stack.hasPrefix(silo.stackPrefix) }
        let executed = calls.filter { $0.action == "ExecuteChangeSet" }.map(\.stack)
        #expect(executed == [silo.stackPrefix + "data", silo.stackPrefix + "app", silo.stackPrefix + "app"])
        // The unchanged stack was skipped from the journal's digest: no change set at all.
        let changeSets = calls.filter { $0.action == "CreateChangeSet" }.map(\.stack)
        #expect(changeSets.filter { $0 == silo.stackPrefix + "data" }.count == 1)
        let cloud = try silo.cloudFormation()
        #expect(try cloud.getTemplate(stackName: silo.stackPrefix + "app").contains("app-v2"))
        #expect(try cloud.describeStack(silo.stackPrefix + "app")?.status == .updateComplete)
        #expect(try cloud.describeStack(silo.stackPrefix + "data")?.status == .createComplete)
        #expect(try silo.report()?.applied == (try SemVer("1.1.0")))

        // Only the applied release's folder is kept.
        let kept = try FileManager.default.contentsOfDirectory(atPath: silo.stateDirectory + "/releases/webapp")
        #expect(kept == ["1.1.0-channel-canary-2"])
        #expect(!FileManager.default.fileExists(atPath: silo.stateDirectory + "/releases/.incoming"))
    }

    @Test func aTemplateAboveCloudFormationsBodyLimitGoesByItsArtifactURL() throws {
        let silo = try SiloHarness()
        let padding = String(repeating: "x", count: 60_000)
        let template = queueTemplate("\(silo.stackPrefix)big", metadata: "Padding: \(padding)")
        // The builder stores such a template content-addressed beside the code artifacts.
        let bytes = Data(template.utf8)
        _ = try silo.releases.writeOnce(key: try silo.releases.layout.artifact(sha256: sha256Hex(bytes)), data: bytes)
        try silo.publish("1.0.0", [.init(name: "big", template: template)])
        #expect(try silo.agent().once().map(\.kind) == [.applied])
        let cloud = try silo.cloudFormation()
        #expect(try cloud.describeStack(silo.stackPrefix + "big")?.status == .createComplete)
        #expect(try cloud.getTemplate(stackName: silo.stackPrefix + "big").contains(padding))
    }

    @Test func stackOperationsUseTheDeployRoleAndBucketReadsTheAgentsOwnIdentity() throws {
        let silo = try SiloHarness()
        let deployAccount = AWSTestConfig.uniqueAccountId()
        let deployRole = "arn:aws:iam::\(deployAccount):role/ferry-deploy"
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let agent = try silo.agent(settings: try silo.settings { $0.deployRoleArn = deployRole })
        #expect(agent.silo == silo.silo)  // the agent's own account, not the deploy role's
        #expect(agent.once().map(\.kind) == [.applied])
        let deployed = CloudFormation(config: try AWSTestConfig.make().assumingRole(arn: deployRole))
        #expect(try deployed.describeStack(silo.stackPrefix + "app")?.status == .createComplete)
        #expect(try silo.cloudFormation().describeStack(silo.stackPrefix + "app") == nil)
        #expect(try silo.report()?.state == .inSync)
    }

    /// Issue 12: a 403 on the pin is not "no pin" (it used to be, so a brief IAM error
    /// moved a pinned silo to its channel's release). A 403 on either document moves
    /// nothing and is reported; the pin is read again on the next tick.
    @Test func a403OnThePinOrTheChannelPointerMovesNothingAndIsReported() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        #expect(try silo.report()?.state == .inSync)
        func runsV1() throws -> Bool {
            try silo.cloudFormation().getTemplate(stackName: silo.stackPrefix + "app").contains("app-v1")
        }

        // moto enforces a bucket policy's Deny on object GETs (for everyone: MOTO.md).
        try denyReads(of: ["channels/*"], in: silo)
        let outcome = try #require(agent.tick().first)
        // AccessDenied is a misconfiguration a person must fix, never "nothing to do" (issue 13).
        #expect(outcome.kind == .misconfigured && outcome.isProblem)
        #expect(outcome.error?.message.contains("reading the channel pointer of webapp/canary was denied (HTTP 403)") == true)
        let report = try #require(try silo.report())
        #expect(report.state == .misconfigured && report.error?.code == "accessDenied")
        #expect(report.applied == (try SemVer("1.0.0")))
        #expect(report.error?.message.contains("denied (HTTP 403)") == true)

        try denyReads(of: ["pins/*"], in: silo)
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))])
        let denied = try #require(agent.tick().first)
        #expect(denied.kind == .misconfigured && denied.error?.code == .accessDenied)
        #expect(denied.error?.message.contains("reading the pin of webapp/\(silo.silo) was denied (HTTP 403)") == true,
                "\(String(describing: denied.error))")
        #expect(try runsV1())
        let held = try #require(try silo.report())
        let v100 = try SemVer("1.0.0")
        #expect(held.state == .misconfigured && held.applied == v100)
        #expect(held.error?.message.contains("reading the pin") == true)

        // Readable again: the very next tick reads the pin (no pin) and moves to 1.1.0.
        try denyReads(of: ["nothing-here/*"], in: silo)
        #expect(agent.tick().map(\.kind) == [.applied])
        #expect(try !runsV1())
    }

    /// A bucket policy denying GetObject under the prefix's `patterns` (a raw PUT ?policy:
    /// moto without authentication takes it as the bucket owner's).
    private func denyReads(of patterns: [String], in silo: SiloHarness) throws {
        let resources = patterns.map { "\"arn:aws:s3:::\(silo.releases.name)/ferry/\($0)\"" }.joined(separator: ",")
        let policy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",\
            "Resource":[\(resources)]}]}
            """
        let response = try HTTPClient().send(HTTPRequest(
            method: .put, url: "\(try TestEnvironment.motoEndpoint())/\(silo.releases.name)?policy",
            body: .bytes(Data(policy.utf8))))
        #expect(response.status == 204 || response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
    }
}
