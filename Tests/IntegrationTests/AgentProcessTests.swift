import AWS
import Agent
import Archive
import Foundation
import Manifest
import TestSupport
import Testing

/// The real `ferry agent` binary as a process, with the flags the silo stackset passes.
@Suite struct AgentProcessTests {
    @Test func onceAppliesThenRefusesWithExitStatusReportAndJSONLogs() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let first = try silo.ferry(try silo.agentOnceArguments(json: true))
        #expect(first.status == 0, "\(first.stderr)")
        let outcomes = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: String]]
        #expect(outcomes == [["outcome": "applied", "pipeline": "webapp", "target": "1.0.0"]])
        #expect(try silo.report()?.state == .inSync)
        #expect(try silo.report()?.applied == (try SemVer("1.0.0")))

        // Every stderr line is one JSON object with a level, a message and a time; no secret.
        let lines = first.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count > 5)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["time"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"step\":\"execute-change-set\"") })
        // Stack events are logged as they come while the operation is followed.
        #expect(lines.contains { $0.contains("\"resource\":\"\(silo.stackPrefix)app\"") && $0.contains("\"status\":\"CREATE_COMPLETE\"") },
                "\(first.stderr)")
        #expect(!first.stderr.contains(SiloHarness.secret) && !first.stdout.contains(SiloHarness.secret))

        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))]) { entries in
            entries.append(ZipEntry(name: "templates/extra.yaml", source: .bytes(Data("not signed".utf8))))
        }
        let second = try silo.ferry(try silo.agentOnceArguments())
        #expect(second.status == 1)
        #expect(second.stdout.hasPrefix("webapp: refused 1.1.0: the bundle of webapp 1.1.0 (channel canary, serial 2) "
            + "holds templates/extra.yaml, which the signed manifest does not list"), "\(second.stdout)")
        let report = try #require(try silo.report())
        #expect(report.state == .refused)
        #expect(report.applied == (try SemVer("1.0.0")))

        let history = try silo.ferry(["agent", "history", "--state-dir", silo.stateDirectory, "--json"])
        #expect(history.status == 0, "\(history.stderr)")
        let steps = try history.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let names = steps.compactMap { $0?["step"] as? String }
        #expect(names.first == "accept-channel")
        #expect(names.contains("execute-change-set") && names.last == "refuse")
        let text = try silo.ferry(["agent", "history", "--state-dir", silo.stateDirectory, "--pipeline", "webapp",
                                   "--limit", "1"])
        #expect(text.stdout.split(separator: "\n").count == 1)
        #expect(text.stdout.contains("webapp  1.1.0#2  -  refuse:end  the bundle of webapp 1.1.0"), "\(text.stdout)")
    }

    @Test func runStopsAtOnceOnSIGTERMAndASecondAgentIsRefusedTheStateFolder() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        // Wait until the first tick applied the release: the agent then sleeps for an hour.
        let (process, applied) = try silo.startAgentRun(until: "applied webapp 1.0.0")
        #expect(applied)

        let second = try silo.ferry(try silo.agentOnceArguments())
        #expect(second.status != 0)
        #expect(second.stderr.contains("the agent with pid \(process.pid) holds the state folder"),
                "\(second.stderr)")

        let asked = Date()
        kill(process.pid, SIGTERM)
        let run = try process.wait()
        #expect(Date().timeIntervalSince(asked) < 3)
        #expect(run.succeeded)
        let log = run.stderr
        #expect(log.contains("SIGTERM: stopping at the next safe point"))
        #expect(log.contains("agent stopped at a safe point"))
    }
}
