import ArgumentParser
import Foundation
import Simulator

/// `ferry-sim`: the in-process fleet simulator behind scripts/simulate (not part of the
/// ferry product). Runs N real agents against the in-memory bucket and CloudFormation
/// on simulated time, and reports time to in sync, CPU and wall per tick, requests and memory.
@main
struct FerrySim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-sim",
        abstract: "Simulate a fleet of silo agents in one process on a simulated clock.")

    @Option(help: "Fleet sizes, comma-separated (e.g. 1000,10000): each is a separate fleet, run in turn.")
    var silos = "200"

    @Option(help: "Idle ticks per silo between the two releases.")
    var ticks = 20

    @Option(help: "Seeds the silos' start times and jitter.")
    var seed: UInt64 = 1

    @Option(help: "Threads that run silos (default: every core).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The agents' poll interval, in simulated seconds.")
    var interval = 30.0

    @Option(name: .customLong("pin-interval"), help: "Seconds between reads of a silo's pin (simulated).")
    var pinInterval = 180.0

    @Option(help: "Where the silos' state folders go (default: a fresh folder in /dev/shm, else the temp folder).")
    var root: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
            throw ValidationError("--silos takes sizes from 1 to 100000, comma-separated, e.g. 1000,10000")
        }
        guard ticks >= 1, threads >= 1, interval >= 0.1, pinInterval >= 0 else {
            throw ValidationError("--ticks and --threads must be at least 1, --interval at least 0.1")
        }
    }

    var sizes: [Int] { silos.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let base = root ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        var results: [Simulation.Result] = []
        for size in sizes {
            let folder = base + "/ferry-sim-\(getpid())-\(size)"
            let simulation = try Simulation(options: SimulationOptions(
                silos: size, idleTicks: ticks, seed: seed, interval: interval, pinInterval: pinInterval,
                threads: threads, root: folder))
            defer { simulation.removeFolders() }
            FileHandle.standardError.write(Data("ferry-sim: \(size) silos...\n".utf8))
            let result = try simulation.run()
            let behind = try simulation.outOfSync()
            guard behind.isEmpty else {
                throw SimulationError("\(behind.count) silos are not in sync after the run: "
                    + behind.prefix(5).joined(separator: "; "))
            }
            results.append(result)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            struct Output: Encodable {
                var results: [Simulation.Result]
                var growth: SimReport.Growth?
                var markdown: String
            }
            let output = Output(results: results, growth: SimReport.growth(results), markdown: SimReport.markdown(results))
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print(SimReport.markdown(results))
        }
    }
}
