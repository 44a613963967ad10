import Agent
import Foundation
import Manifest
import Testing

/// The agent's metrics as text, without a network (the parse by prometheus-client is in
/// IntegrationTests: `AgentMetricsIntegrationTests`).
struct AgentMetricsTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func outcome(_ kind: PipelineOutcome.Kind, _ code: AgentError.Code? = nil) -> PipelineOutcome {
        PipelineOutcome(pipeline: "webapp", kind: kind, target: try! SemVer("1.2.0"),
                        error: code.map { AgentError($0, "refused", next: .needsPerson) })
    }

    @Test func reconcilesDeploysAndRefusalsAreCounted() throws {
        var metrics = AgentMetrics(silo: "silo-a", pipelines: ["webapp"], created: Self.start)
        metrics.record([outcome(.applied)], seconds: 42.5, end: Self.start.addingTimeInterval(60))
        metrics.record([outcome(.idle)], seconds: 0.004, end: Self.start.addingTimeInterval(90))
        metrics.record([outcome(.refused, .expired)], seconds: 0.2, end: Self.start.addingTimeInterval(120))
        metrics.record([outcome(.failed)], seconds: 2000, end: Self.start.addingTimeInterval(2200))
        let report = StatusReport(pipeline: "webapp", silo: "silo-a", channel: "canary", target: try SemVer("1.2.0"),
                                  applied: try SemVer("1.1.0"), state: .failed,
                                  error: .init(code: "stackFailed", message: "x"), reportedAt: "2027-01-15T08:00:00Z",
                                  intervalSeconds: 30)
        let text = metrics.openMetrics(reports: [report], requests: ["GET": 7, "PUT": 2])
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in [
            "# TYPE ferry_agent_applied_version info",
            "ferry_agent_applied_version_info{channel=\"canary\",pinned=\"false\",pipeline=\"webapp\",silo=\"silo-a\","
                + "target=\"1.2.0\",version=\"1.1.0\"} 1",
            "# TYPE ferry_agent_state stateset",
            "ferry_agent_state{ferry_agent_state=\"failed\",pipeline=\"webapp\",silo=\"silo-a\"} 1",
            "ferry_agent_state{ferry_agent_state=\"in-sync\",pipeline=\"webapp\",silo=\"silo-a\"} 0",
            "ferry_agent_last_reconcile_timestamp_seconds{silo=\"silo-a\"} 1800002200",
            "# UNIT ferry_agent_reconcile_duration_seconds seconds",
            "ferry_agent_reconcile_duration_seconds_bucket{le=\"0.01\",silo=\"silo-a\"} 1",
            "ferry_agent_reconcile_duration_seconds_bucket{le=\"0.5\",silo=\"silo-a\"} 2",
            "ferry_agent_reconcile_duration_seconds_bucket{le=\"60\",silo=\"silo-a\"} 3",
            "ferry_agent_reconcile_duration_seconds_bucket{le=\"1800\",silo=\"silo-a\"} 3",
            "ferry_agent_reconcile_duration_seconds_bucket{le=\"+Inf\",silo=\"silo-a\"} 4",
            "ferry_agent_reconcile_duration_seconds_count{silo=\"silo-a\"} 4",
            "ferry_agent_reconcile_duration_seconds_sum{silo=\"silo-a\"} 2042.704",
            "ferry_agent_deploys_total{pipeline=\"webapp\",result=\"applied\",silo=\"silo-a\"} 1",
            "ferry_agent_deploys_total{pipeline=\"webapp\",result=\"failed\",silo=\"silo-a\"} 1",
            "ferry_agent_deploys_total{pipeline=\"webapp\",result=\"superseded\",silo=\"silo-a\"} 0",
            "ferry_agent_refusals_total{code=\"expired\",pipeline=\"webapp\",silo=\"silo-a\"} 1",
            "ferry_agent_requests_total{kind=\"GET\",silo=\"silo-a\"} 7",
            "ferry_agent_requests_total{kind=\"PUT\",silo=\"silo-a\"} 2",
        ] {
            #expect(lines.contains(line), "\(line)")
        }
        #expect(text.hasSuffix("\n# EOF\n"))
    }

    @Test func labelValuesAreEscaped() {
        let metrics = AgentMetrics(silo: "a\"b\\c\nd", pipelines: [], created: Self.start)
        #expect(metrics.openMetrics(reports: [], requests: ["GET": 1])
            .contains("ferry_agent_requests_total{kind=\"GET\",silo=\"a\\\"b\\\\c\\nd\"} 1"))
    }

    @Test func anEmbeddedMetricFormatLineNamesItsMetrics() throws {
        let metrics = AgentMetrics(silo: "silo-a", pipelines: ["webapp"], created: Self.start)
        let line = metrics.embeddedMetricFormat([outcome(.applied), outcome(.refused, .refused)], seconds: 1.5,
                                                end: Self.start, requests: 12)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let aws = try #require(object["_aws"] as? [String: Any])
        #expect(aws["Timestamp"] as? Int == 1_800_000_000_000)
        let directive = try #require((aws["CloudWatchMetrics"] as? [[String: Any]])?.first)
        #expect(directive["Namespace"] as? String == "Ferry")
        #expect(directive["Dimensions"] as? [[String]] == [["Silo"]])
        let names = (directive["Metrics"] as? [[String: String]])?.compactMap { $0["Name"] }
        #expect(names == ["ReconcileDuration", "Deploys", "DeployFailures", "Refusals", "Requests"])
        #expect(object["Silo"] as? String == "silo-a")
        #expect(object["ReconcileDuration"] as? Double == 1.5)
        #expect(object["Deploys"] as? Double == 1 && object["Refusals"] as? Double == 1)
        #expect(object["Requests"] as? Double == 12 && object["DeployFailures"] as? Double == 0)
        #expect(object["level"] as? String == "info" && object["time"] as? String == "2027-01-15T08:00:00Z")
    }
}
