import Foundation
import Manifest
import TestSupport
import Testing

/// The agent's `--metrics-file` and `ferry status --format openmetrics`, parsed by a real
/// OpenMetrics parser (prometheus-client, pinned in scripts/lib/common.sh).
struct MetricsIntegrationTests {
    /// The families of an OpenMetrics file, as Tests/Support/openmetrics_parse.py prints them.
    struct Family: Decodable {
        var type: String
        var unit: String
        var samples: [Sample]
    }

    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        var value: Double

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            labels = try container.decode([String: String].self)
            value = try container.decode(Double.self)
        }
    }

    static func parse(_ path: String) throws -> [String: Family] {
        let script = TestEnvironment.packageRoot + "/Tests/Support/openmetrics_parse.py"
        let run = try FerryProcess.runPython([script, path])
        #expect(run.status == 0, "prometheus-client refused \(path): \(run.stderr)")
        return try JSONDecoder().decode([String: Family].self, from: Data(run.stdout.utf8))
    }

    static func value(_ families: [String: Family], _ family: String, _ sample: String,
                      _ labels: [String: String]) -> Double? {
        families[family]?.samples.first { found in
            found.name == sample && labels.allSatisfy { key, value in found.labels[key] == value }
        }?.value
    }

    @Test func theAgentWritesOpenMetricsAParserReadsAndEMFLinesInJSONMode() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let path = silo.directory.url("textfile/ferry.prom")
        try FileManager.default.createDirectory(atPath: silo.directory.url("textfile"), withIntermediateDirectories: true)
        let run = try silo.ferry(try silo.agentOnceArguments() + ["--metrics-file", path])
        #expect(run.status == 0, "\(run.stderr)")
        // Renamed into place: nothing else in the collector's folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: silo.directory.url("textfile")) == ["ferry.prom"])

        let families = try Self.parse(path)
        let labels = ["silo": silo.silo, "pipeline": "webapp"]
        #expect(families["ferry_agent_applied_version"]?.type == "info")
        #expect(Self.value(families, "ferry_agent_applied_version", "ferry_agent_applied_version_info",
                           labels.merging(["version": "1.0.0", "target": "1.0.0", "channel": "canary"]) { a, _ in a }) == 1)
        #expect(families["ferry_agent_state"]?.type == "stateset")
        #expect(Self.value(families, "ferry_agent_state", "ferry_agent_state",
                           labels.merging(["ferry_agent_state": "in-sync"]) { a, _ in a }) == 1)
        #expect(Self.value(families, "ferry_agent_state", "ferry_agent_state",
                           labels.merging(["ferry_agent_state": "failed"]) { a, _ in a }) == 0)
        let duration = try #require(families["ferry_agent_reconcile_duration_seconds"])
        #expect(duration.type == "histogram" && duration.unit == "seconds")
        #expect(Self.value(families, "ferry_agent_reconcile_duration_seconds", "ferry_agent_reconcile_duration_seconds_count",
                           [:]) == 1)
        #expect(Self.value(families, "ferry_agent_deploys", "ferry_agent_deploys_total",
                           labels.merging(["result": "applied"]) { a, _ in a }) == 1)
        #expect(Self.value(families, "ferry_agent_deploys", "ferry_agent_deploys_total",
                           labels.merging(["result": "failed"]) { a, _ in a }) == 0)
        #expect((Self.value(families, "ferry_agent_requests", "ferry_agent_requests_total", ["kind": "GET"]) ?? 0) > 0)
        let last = try #require(Self.value(families, "ferry_agent_last_reconcile_timestamp_seconds",
                                           "ferry_agent_last_reconcile_timestamp_seconds", [:]))
        #expect(abs(last - Date().timeIntervalSince1970) < 600)

        // JSON logs: one Embedded Metric Format line per reconcile, among the log lines.
        let emf = run.stderr.split(separator: "\n").filter { $0.contains("\"_aws\"") }
        #expect(emf.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(emf[0].utf8)) as? [String: Any])
        #expect(object["Silo"] as? String == silo.silo && object["Deploys"] as? Double == 1)

        // A folder that does not exist: a usage error naming it, and no agent run.
        let missing = silo.directory.url("nowhere/ferry.prom")
        let refused = try silo.ferry(try silo.agentOnceArguments() + ["--metrics-file", missing])
        #expect(refused.status == 64 && refused.stderr.contains("does not exist"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: silo.directory.url("nowhere")))
    }

    @Test func statusGivesFleetGaugesAParserReads() throws {
        let world = try FleetWorld()
        try world.publish("1.0.0", channel: "canary")
        try world.publish("1.1.0", channel: "canary")
        try world.report("silo-a", channel: "canary", target: "1.1.0", applied: "1.1.0",
                         drift: StatusReport.Drift(mode: "report", checkedAt: Timestamp.format(Date()), resources: [
                             .init(stack: "ferry-app", resource: "Queue", type: "AWS::SQS::Queue", difference: "MODIFIED"),
                             .init(stack: "ferry-app", resource: "Topic", type: "AWS::SNS::Topic", difference: "DELETED"),
                         ]))
        try world.report("silo-b", channel: "canary", state: .failed, target: "1.1.0", applied: "1.0.0")
        try world.report("silo-c", channel: "canary", target: "1.0.0", applied: "1.0.0", age: 5 * 3600)
        let run = try world.ferry("status", "webapp", "--format", "openmetrics")
        #expect(run.status == 0, "\(run.stderr)")
        let path = try world.dir.write("fleet.prom", run.stdout)
        let families = try Self.parse(path)
        for (state, count) in [("in-sync", 1.0), ("failed", 1), ("stale", 1), ("deploying", 0)] {
            #expect(Self.value(families, "ferry_fleet_silos", "ferry_fleet_silos",
                               ["pipeline": "webapp", "state": state]) == count, "\(state)")
        }
        #expect(Self.value(families, "ferry_fleet_channel", "ferry_fleet_channel_info",
                           ["channel": "canary", "version": "1.1.0"]) == 1)
        #expect(Self.value(families, "ferry_fleet_channel_serial", "ferry_fleet_channel_serial", ["channel": "canary"]) == 2)
        #expect(families["ferry_fleet_channel_expiry_timestamp_seconds"]?.samples.count == 1)
        #expect(Self.value(families, "ferry_fleet_silo_stale", "ferry_fleet_silo_stale", ["silo": "silo-c"]) == 1)
        #expect(Self.value(families, "ferry_fleet_silo_drifted_resources", "ferry_fleet_silo_drifted_resources",
                           ["silo": "silo-a"]) == 2)
        #expect(families["ferry_fleet_silo_drifted_resources"]?.samples.count == 1)  // only silos that detect drift
        #expect(Self.value(families, "ferry_fleet_silo", "ferry_fleet_silo_info",
                           ["silo": "silo-b", "state": "failed", "applied": "1.0.0"]) == 1)

        let bad = try world.ferry("status", "webapp", "--format", "prometheus")
        #expect(bad.status == 64 && bad.stderr.contains("give text or openmetrics") && bad.stdout.isEmpty)
    }
}
