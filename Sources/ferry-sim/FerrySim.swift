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

    @Flag(help: "Rollouts with brakes instead: seeded random schedules of one rollout each (see --schedules).")
    var rollout = false

    @Option(help: "With --rollout: how many seeded schedules to run.")
    var schedules = 20

    @Option(help: "With --rollout: bucket (the real RolloutController over SharedBucket, racing a rival) or memory (RolloutDecision on the pointer and reports in memory).")
    var mode: RolloutSimulation.Mode = .bucket

    @Option(name: .customLong("controller-every"),
            help: "With --rollout: simulated seconds between controller ticks, a multiple of 30 (ferry rollout --every).")
    var controllerEvery = 30

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
            throw ValidationError("--silos takes sizes from 1 to 100000, comma-separated, e.g. 1000,10000")
        }
        guard ticks >= 1, threads >= 1, interval >= 0.1, pinInterval >= 0 else {
            throw ValidationError("--ticks and --threads must be at least 1, --interval at least 0.1")
        }
        guard !rollout || (schedules >= 1 && sizes.count == 1 && controllerEvery >= 30 && controllerEvery % 30 == 0) else {
            throw ValidationError("--rollout takes one fleet size (--silos 1000), --schedules of at least 1 and "
                + "--controller-every a multiple of 30")
        }
    }

    var sizes: [Int] { silos.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        if rollout { return try runRollouts() }
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

extension FerrySim {
    /// `--rollout`: the schedules of `RolloutSimulation`; exits 1 on any violation.
    func runRollouts() throws {
        let size = sizes[0]
        let simulation = RolloutSimulation(silos: size, schedules: schedules, seed: seed, threads: threads,
                                           controllerInterval: controllerEvery, mode: mode)
        let step = max(schedules / 20, 1)
        let started = Date()
        let result = try simulation.run { sofar in
            if sofar.schedules % step == 0 || sofar.schedules == schedules {
                let line = String(format: "ferry-sim: %.0f s: ", Date().timeIntervalSince(started))
                    + RolloutSimulation.summary(sofar, silos: size) + "\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        let seconds = Date().timeIntervalSince(started)
        if json {
            struct Output: Encodable {
                var silos: Int
                var mode: RolloutSimulation.Mode
                var controllerEvery: Int
                var wallSeconds: Double
                var result: RolloutSimulation.Result
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(silos: size, mode: mode, controllerEvery: controllerEvery, wallSeconds: seconds, result: result)), as: UTF8.self))
        } else {
            print(RolloutSimulation.summary(result, silos: size)
                + "; \(mode.rawValue) mode" + String(format: "; controller every %d s; %.0f s wall", controllerEvery, seconds))
            for violation in result.violations.prefix(20) { print("violation: \(violation)") }
        }
        if !result.violations.isEmpty { throw ExitCode(1) }
    }
}

extension RolloutSimulation.Mode: ExpressibleByArgument {}
