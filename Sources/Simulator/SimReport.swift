import Foundation

/// The simulator's report: markdown tables (for a terminal and docs/benchmarks.md) and
/// the growth from the smallest fleet to the largest.
public enum SimReport {
    /// From the smallest fleet of `results` to the largest: how much the cost per silo grew.
    public struct Growth: Codable, Sendable {
        public var from: Int
        public var to: Int
        /// CPU per idle tick at `to` / at `from` (1 or less: linear or better): of the
        /// median tick of the idle window, and of the mean.
        public var idleTickCPU: Double
        public var idleTickCPUMean: Double
        /// Whole-process CPU per silo over the run (both releases and the idle window).
        public var cpuPerSilo: Double
        /// Wall time per silo over the run.
        public var wallPerSilo: Double
    }

    public static func growth(_ results: [Simulation.Result]) -> Growth? {
        guard let small = results.min(by: { $0.silos < $1.silos }), let large = results.max(by: { $0.silos < $1.silos }),
              small.silos < large.silos else { return nil }
        func perSilo(_ result: Simulation.Result, _ value: (PhaseStats) -> Double) -> Double {
            result.phases.map(value).reduce(0, +) / Double(result.silos)
        }
        return Growth(from: small.silos, to: large.silos,
                      idleTickCPU: large.idleMedian / small.idleMedian,
                      idleTickCPUMean: large.idleTick.cpuMillisecondsPerTick / small.idleTick.cpuMillisecondsPerTick,
                      cpuPerSilo: perSilo(large, \.processCPUSeconds) / perSilo(small, \.processCPUSeconds),
                      wallPerSilo: perSilo(large, \.wallSeconds) / perSilo(small, \.wallSeconds))
    }

    public static func markdown(_ results: [Simulation.Result]) -> String {
        var lines = [
            "| silos | first release: all in sync (simulated s) | update: all in sync, median [max] (simulated s) "
                + "| idle tick: CPU median, mean / wall mean (ms) | deploy tick: CPU / wall (ms) | process CPU per idle silo tick (ms) "
                + "| wall: set-up / releases + idle (s) | RSS after set-up / peak (MiB) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for result in results {
            let phases = result.phases
            let idle = result.idleTick
            let deploy = phases.reduce(TickStats()) { var sum = $0; sum.merge($1.deploy); return sum }
            let idlePhase = phases.first { $0.name == "idle" }
            let processIdle = idlePhase.map { $0.ticks == 0 ? 0 : $0.processCPUSeconds * 1e3 / Double($0.ticks) } ?? 0
            lines.append("| \(result.silos.formatted()) | \(f(phases.first?.syncSeconds ?? 0, 0)) "
                + "| \(f(phases.last?.syncMedianSeconds ?? 0, 0)) [\(f(phases.last?.syncSeconds ?? 0, 0))] "
                + "| \(f(result.idleMedian, 3)), \(f(idle.cpuMillisecondsPerTick, 3)) / \(f(idle.wallMillisecondsPerTick, 3)) "
                + "| \(f(deploy.cpuMillisecondsPerTick, 2)) / \(f(deploy.wallMillisecondsPerTick, 2)) "
                + "| \(f(processIdle, 3)) | \(f(result.setupWallSeconds, 1)) / \(f(phases.map(\.wallSeconds).reduce(0, +), 1)) "
                + "| \(mib(result.rssAfterSetupBytes)) / \(mib(result.peakRSSBytes)) |")
        }
        lines += ["", "Requests per silo, by phase (S3 on the shared bucket; CloudFormation in the silo's account):", "",
                  "| silos | phase | ticks / silo | S3 per silo | S3 per idle tick | CloudFormation per silo |",
                  "|---:|---|---:|---|---|---|"]
        for result in results {
            for phase in result.phases {
                let silos = Double(result.silos)
                let perTick = phase.name == "idle" && phase.idle.count > 0
                    ? counts(phase.s3Requests, over: Double(phase.ticks)) : ""
                lines.append("| \(result.silos.formatted()) | \(phase.name) | \(f(Double(phase.ticks) / silos, 1)) "
                    + "| \(counts(phase.s3Requests, over: silos)) | \(perTick) | \(counts(phase.stackRequests, over: silos)) |")
            }
        }
        if let growth = growth(results) {
            lines += ["", "From \(growth.from.formatted()) to \(growth.to.formatted()) silos (\(f(Double(growth.to) / Double(growth.from), 0))x): "
                + "CPU per idle tick \(f(growth.idleTickCPU, 2))x (median; mean \(f(growth.idleTickCPUMean, 2))x), process CPU per silo \(f(growth.cpuPerSilo, 2))x, "
                + "wall time per silo \(f(growth.wallPerSilo, 2))x (1 or less: linear or better)."]
        }
        return lines.joined(separator: "\n")
    }

    private static func counts(_ counts: [String: Int], over divisor: Double) -> String {
        let shown = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return shown.isEmpty ? "none" : shown.map { "\($0.key) \(f(Double($0.value) / divisor, 2))" }.joined(separator: ", ")
    }

    private static func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    private static func mib(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1_048_576) }
}

extension Simulation.Result {
    /// The median idle tick's CPU in the idle window, in milliseconds.
    public var idleMedian: Double { phases.first { $0.name == "idle" }?.idleCPUMedianMilliseconds ?? 0 }

    /// The idle ticks of every phase together.
    public var idleTick: TickStats {
        phases.reduce(TickStats()) { var sum = $0; sum.merge($1.idle); return sum }
    }
}
