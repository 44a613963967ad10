import AWS
import Agent
import Foundation
import Manifest
import TestSupport
import Testing

/// Issue 13, worst finding, with the real CLI on moto: channel at 1.0.0, pin the silo to
/// 1.1.0, apply, unpin. The next `agent once` must create and execute change sets back to
/// 1.0.0, and only then say `in-sync 1.0.0` (it used to find 1.0.0's old executed change
/// set of the same name, take it as done and report 1.0.0 while running 1.1.0).
@Suite struct AgentUnpinTests {
    /// (Run with the ferry binary of before the fix, `FERRY_BIN=<main>/.build/debug/ferry`,
    /// it fails: the stack still runs 1.1.0 and only two change sets were executed.)
    @Test func unpinningMovesTheStacksBackBeforeReportingInSync() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v100"))])
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v110"))],
                         channel: nil)
        let stack = silo.stackPrefix + "app"
        let cloud = try silo.cloudFormation()
        func runs() throws -> String { try cloud.getTemplate(stackName: stack).contains("app-v110") ? "1.1.0" : "1.0.0" }
        func agentOnce() throws {
            let run = try silo.ferry(try silo.agentOnceArguments())
            #expect(run.status == 0, "\(run.stderr)")
        }
        let key = try silo.directory.write("oncall.key", ReleaseFixture.oncallKey.fileContents)
        chmod(key, 0o600)
        let environment = ["HOME": silo.directory.path, "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL": silo.endpoint, "FERRY_BUCKET": silo.releases.name,
                           "FERRY_TRUST": try silo.trustArguments().joined(separator: " ")]
        func ferry(_ arguments: String...) throws {
            let run = try FerryProcess.run(arguments, environment: environment)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
        }

        try agentOnce()
        #expect(try runs() == "1.0.0")
        try ferry("pin", "webapp", "--silo", silo.silo, "--to", "1.1.0", "--reason", "try 1.1.0", "--key", key)
        try agentOnce()
        #expect(try runs() == "1.1.0")
        #expect(try silo.report()?.applied == (try SemVer("1.1.0")))

        try ferry("unpin", "webapp", "--silo", silo.silo, "--reason", "1.1.0 tried", "--key", key)
        try agentOnce()
        #expect(try runs() == "1.0.0")
        let report = try #require(try silo.report())
        let expected = try SemVer("1.0.0")
        #expect(report.state == .inSync && report.applied == expected && !report.pinned)
        let executed = try silo.journal().history(pipeline: "webapp").filter { $0.step == "execute-change-set" }
        #expect(executed.count == 6)  // begin and end of three executions: 1.0.0, 1.1.0, 1.0.0 again
    }
}
