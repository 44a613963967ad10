import Agent
import ArgumentParser
import Foundation
import HTTP

/// `ferry agent run|once --metrics-file PATH`: after every reconcile the agent rewrites PATH
/// with its OpenMetrics (`AgentMetrics`), written beside it and renamed over it as
/// node_exporter's textfile collector expects; in JSON log mode it also writes one
/// CloudWatch Embedded Metric Format line per reconcile to stderr, beside its log.
struct AgentMetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-file"), help: ArgumentHelp(
        "Rewrite this file with OpenMetrics after every reconcile (node_exporter's textfile collector: a *.prom file in its folder).",
        valueName: "path"))
    var metricsFile: String?

    func validate() throws {
        guard let metricsFile else { return }
        let folder = URL(fileURLWithPath: metricsFile).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard !metricsFile.hasSuffix("/"), FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw ValidationError("--metrics-file \(metricsFile): its folder \(folder) does not exist; create it or "
                + "give a file in an existing folder")
        }
    }

    /// Counts `agent`'s reconciles and writes them out; nothing without a file or JSON logs.
    func attach(to agent: Agent, json: Bool, http: HTTPClient = .shared) {
        guard metricsFile != nil || json else { return }
        let box = MetricsBox(AgentMetrics(silo: agent.silo, pipelines: agent.settings.pipelines, created: Date()),
                             requestsBefore: http.requestCounts.total)
        let path = metricsFile
        agent.onReconcile = { [unowned agent] outcomes, seconds, end in
            box.metrics.record(outcomes, seconds: seconds, end: end)
            let counts = http.requestCounts
            if json {
                let line = box.metrics.embeddedMetricFormat(outcomes, seconds: seconds, end: end,
                                                            requests: counts.total - box.requestsBefore)
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            box.requestsBefore = counts.total
            guard let path else { return }
            let requests = Dictionary(uniqueKeysWithValues: counts.byMethod.map { ($0.key.rawValue, $0.value) })
            let text = box.metrics.openMetrics(reports: agent.lastReports(), requests: requests)
            do {
                try AtomicFile.write(Data(text.utf8), to: path)
            } catch {
                Output.note("warning: \(error); the next reconcile writes it again")
            }
        }
    }

    /// The agent's metrics between reconciles (one thread: the agent's).
    final class MetricsBox {
        var metrics: AgentMetrics
        var requestsBefore: Int
        init(_ metrics: AgentMetrics, requestsBefore: Int) {
            self.metrics = metrics
            self.requestsBefore = requestsBefore
        }
    }
}
