import Basics
import Foundation
import Manifest

/// What the agent counts for `--metrics-file` (OpenMetrics, node_exporter's textfile
/// collector) and, in JSON log mode, CloudWatch Embedded Metric Format lines. Counters live
/// as long as the process (`_created` says since when). Pure: time and request counts are
/// given. Names: docs/agent.md, "Metrics".
public struct AgentMetrics: Sendable, Equatable {
    /// Upper bounds of the reconcile duration histogram, in seconds: an idle tick takes
    /// milliseconds, a deploy minutes.
    public static let bounds: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800]

    public let silo: String
    public let created: Date
    /// Reconciles whose duration was at most each bound (not cumulative here).
    private(set) var buckets: [Int]
    private(set) var reconciles = 0
    private(set) var reconcileSeconds = 0.0
    public private(set) var lastReconcile: Date?
    /// By pipeline, then result (`applied`, `failed`, `superseded`).
    private(set) var deploys: [String: [String: Int]] = [:]
    /// By pipeline, then the refusal's code (`badSignature`, `expired`...).
    private(set) var refusals: [String: [String: Int]] = [:]

    public init(silo: String, pipelines: [String], created: Date) {
        self.silo = silo
        self.created = created
        buckets = Array(repeating: 0, count: Self.bounds.count + 1)
        for pipeline in pipelines {
            deploys[pipeline] = ["applied": 0, "failed": 0, "superseded": 0]
            refusals[pipeline] = [:]
        }
    }

    /// Counts one reconcile (a tick of every pipeline) that took `seconds` and ended at `end`.
    public mutating func record(_ outcomes: [PipelineOutcome], seconds: Double, end: Date) {
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        buckets[index] += 1
        reconciles += 1
        reconcileSeconds += max(0, seconds)
        lastReconcile = end
        for outcome in outcomes {
            switch outcome.kind {
            case .applied, .failed, .superseded:
                deploys[outcome.pipeline, default: [:]][outcome.kind.rawValue, default: 0] += 1
            case .refused, .nothing:
                guard let error = outcome.error else { continue }
                refusals[outcome.pipeline, default: [:]][error.code.description, default: 0] += 1
            case .idle, .unchanged, .waiting, .misconfigured, .suspended, .interrupted, .error:
                continue
            }
        }
    }

    /// The OpenMetrics text (ends with `# EOF`): `reports` are the agent's last status
    /// reports (state and versions), `requests` the HTTP requests sent so far by kind.
    public func openMetrics(reports: [StatusReport], requests: [String: Int]) -> String {
        var text = OpenMetricsText()
        let silo = ["silo": self.silo]
        text.family("ferry_agent_applied_version", type: "info",
                    help: "The version whose stacks are applied and healthy, and the one the agent moves to")
        for report in reports {
            text.sample("ferry_agent_applied_version_info", silo.merging([
                "pipeline": report.pipeline, "channel": report.channel,
                "version": report.applied?.description ?? "", "target": report.target?.description ?? "",
                "pinned": report.pinned ? "true" : "false"]) { a, _ in a }, 1)
        }
        text.family("ferry_agent_state", type: "stateset", help: "The state each pipeline last reported")
        for report in reports {
            for state in StatusReport.State.allCases {
                text.sample("ferry_agent_state", silo.merging(["pipeline": report.pipeline,
                                                               "ferry_agent_state": state.rawValue]) { a, _ in a },
                            state == report.state ? 1 : 0)
            }
        }
        text.family("ferry_agent_last_reconcile_timestamp_seconds", type: "gauge",
                    help: "When the last reconcile ended (Unix time)", unit: "seconds")
        if let lastReconcile {
            text.sample("ferry_agent_last_reconcile_timestamp_seconds", silo, lastReconcile.timeIntervalSince1970)
        }
        text.family("ferry_agent_reconcile_duration_seconds", type: "histogram",
                    help: "How long a reconcile of every pipeline took", unit: "seconds")
        var cumulative = 0
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += buckets[index]
            text.sample("ferry_agent_reconcile_duration_seconds_bucket", silo.merging(["le": OpenMetricsText.number(bound)]) { a, _ in a },
                        Double(cumulative))
        }
        text.sample("ferry_agent_reconcile_duration_seconds_bucket", silo.merging(["le": "+Inf"]) { a, _ in a },
                    Double(reconciles))
        text.sample("ferry_agent_reconcile_duration_seconds_count", silo, Double(reconciles))
        text.sample("ferry_agent_reconcile_duration_seconds_sum", silo, reconcileSeconds)
        text.sample("ferry_agent_reconcile_duration_seconds_created", silo, created.timeIntervalSince1970)
        text.counter("ferry_agent_deploys", help: "Deployments finished, by result", silo: self.silo,
                     values: deploys, label: "result", created: created)
        text.counter("ferry_agent_refusals", help: "Pointers, pins, manifests or bundles refused, by code",
                     silo: self.silo, values: refusals, label: "code", created: created)
        text.family("ferry_agent_requests", type: "counter", help: "HTTP requests sent to AWS, by kind (method)")
        for (kind, count) in requests.sorted(by: { $0.key < $1.key }) {
            text.sample("ferry_agent_requests_total", silo.merging(["kind": kind]) { a, _ in a }, Double(count))
            text.sample("ferry_agent_requests_created", silo.merging(["kind": kind]) { a, _ in a },
                        created.timeIntervalSince1970)
        }
        return text.finish()
    }

    /// One CloudWatch Embedded Metric Format line for a reconcile (namespace `Ferry`,
    /// dimension `Silo`): a Lambda or container runner that ships its log gets metrics
    /// with no agent. `requests`: HTTP requests this reconcile sent. The line also has the
    /// `level`, `message` and `time` of the agent's JSON log lines.
    public func embeddedMetricFormat(_ outcomes: [PipelineOutcome], seconds: Double, end: Date,
                                     requests: Int) -> String {
        func count(_ kinds: Set<PipelineOutcome.Kind>) -> Int { outcomes.count { kinds.contains($0.kind) } }
        let values: [(String, String, Double)] = [
            ("ReconcileDuration", "Seconds", seconds),
            ("Deploys", "Count", Double(count([.applied]))),
            ("DeployFailures", "Count", Double(count([.failed]))),
            ("Refusals", "Count", Double(outcomes.count { ($0.kind == .refused || $0.kind == .nothing) && $0.error != nil })),
            ("Requests", "Count", Double(requests)),
        ]
        let object: [String: Any] = [
            "_aws": [
                "Timestamp": Int((end.timeIntervalSince1970 * 1000).rounded()),
                "CloudWatchMetrics": [[
                    "Namespace": "Ferry", "Dimensions": [["Silo"]],
                    "Metrics": values.map { ["Name": $0.0, "Unit": $0.1] },
                ]],
            ],
            "Silo": silo,
            // Also a log line like the others (`--log-format json`): level, message, time.
            "level": "info", "message": "reconcile metrics", "time": Timestamp.format(end),
        ].merging(Dictionary(uniqueKeysWithValues: values.map { ($0.0, $0.2 as Any) })) { a, _ in a }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension Agent {
    /// The last status report of each pipeline (what `ferry status` shows of this silo).
    public func lastReports() -> [StatusReport] {
        settings.pipelines.compactMap { pipeline in (try? reporter.lastReport(pipeline)) ?? nil }
    }
}
