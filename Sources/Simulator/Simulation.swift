import Agent
import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import Synchronization

/// The in-process fleet: N real agents (`Agent`, its reconcile, journal, release store
/// and reporter) against one in-memory bucket and one in-memory CloudFormation per silo,
/// on simulated time. `run` publishes a release, lets every silo apply it, idles for
/// `idleTicks` ticks, publishes the next release and lets every silo apply that.
///
/// Scheduling: each silo ticks at its own simulated time (a first tick spread over one
/// interval, then every interval ±10 % as `agent run`). The ticks due before a horizon
/// — the earliest due tick plus 0.9 interval, or the next publication — run as one batch
/// on `threads` threads: a silo ticks at most once per batch, and silos share nothing but
/// the bucket, whose documents change only between batches, so the order within a batch
/// does not change what any silo sees. A tick that follows a stack moves only its own
/// silo's clock (and its account's `MemoryStacks`).
public final class Simulation {
    public let options: SimulationOptions
    let world: SimWorld
    private(set) var silos: [SimSilo] = []
    private var queue = TickQueue()

    public init(options: SimulationOptions) throws {
        self.options = options
        world = try SimWorld(options: options)
    }

    /// What `run` measured.
    public struct Result: Codable, Sendable {
        public var silos: Int
        public var idleTicksPerSilo: Int
        public var intervalSeconds: Double
        public var pinIntervalSeconds: Double
        public var threads: Int
        public var setupWallSeconds: Double
        public var phases: [PhaseStats]
        /// The resident set once every silo was set up, and the process's peak so far.
        public var rssAfterSetupBytes: Int
        public var peakRSSBytes: Int
        public var versions: [String]
    }

    /// Runs the two releases and the idle window between them; throws when a release is
    /// not everywhere in sync within `syncLimit`.
    public func run() throws -> Result {
        let first = try SemVer("1.0.0")
        let second = try SemVer("1.1.0")
        let setupStart = DispatchTime.now().uptimeNanoseconds
        var rng = SplitMix64(seed: options.seed)
        for index in 0..<options.silos {
            let firstTick = SimWorld.start.addingTimeInterval(Double.random(in: 0..<options.interval, using: &rng))
            let silo = try SimSilo(index: index, world: world, firstTick: firstTick)
            queue.push(firstTick, index)
            silos.append(silo)
        }
        let setup = Double(DispatchTime.now().uptimeNanoseconds - setupStart) / 1e9
        let rssAfterSetup = ProcessUsage.currentRSS()

        var phases: [PhaseStats] = []
        phases.append(try release(first, name: "first release", at: SimWorld.start))
        // The idle window starts at the earliest tick still to come.
        let idleStart = queue.peek ?? SimWorld.start
        let idleEnd = idleStart.addingTimeInterval(Double(options.idleTicks) * options.interval)
        phases.append(phase("idle", from: idleStart, until: idleEnd, target: nil))
        phases.append(try release(second, name: "update", at: idleEnd))
        return Result(silos: options.silos, idleTicksPerSilo: options.idleTicks, intervalSeconds: options.interval,
                      pinIntervalSeconds: options.pinInterval, threads: options.threads, setupWallSeconds: setup,
                      phases: phases, rssAfterSetupBytes: rssAfterSetup, peakRSSBytes: ProcessUsage.peakRSS(),
                      versions: [first.description, second.description])
    }

    /// Publishes `version` at `time` and ticks until every silo applied it.
    private func release(_ version: SemVer, name: String, at time: Date) throws -> PhaseStats {
        _ = try world.publish(version, at: time)
        var stats = phase(name, from: time, until: time.addingTimeInterval(options.syncLimit), target: version)
        let times = silos.map { silo in silo.applied == version ? silo.appliedAt!.timeIntervalSince(time) : .infinity }
            .sorted()
        guard let last = times.last, last.isFinite else {
            let behind = silos.filter { $0.applied != version }
            throw SimulationError("\(behind.count) of \(silos.count) silos did not apply \(version) within "
                + "\(Int(options.syncLimit)) simulated seconds (first: \(behind.first?.name ?? "")); problems: "
                + (stats.problems.isEmpty ? "none reported" : stats.problems.joined(separator: "; ")))
        }
        stats.syncSeconds = last
        stats.syncMedianSeconds = times[times.count / 2]
        return stats
    }

    /// Ticks the fleet from `start` until `limit`, or until every silo applied `target`.
    private func phase(_ name: String, from start: Date, until limit: Date, target: SemVer?) -> PhaseStats {
        let s3Before = world.store.requestCounts()
        let stacksBefore = stackRequests()
        let cpuBefore = ProcessUsage.cpuSeconds()
        let wallBefore = DispatchTime.now().uptimeNanoseconds
        var totals = StepTotals()
        var end = start
        while let due = queue.peek, due < limit {
            if let target, silos.allSatisfy({ $0.applied == target }) { break }
            let horizon = min(limit, due.addingTimeInterval(0.9 * options.interval))
            var batch: [Int] = []
            while let time = queue.peek, time < horizon { batch.append(queue.pop()!) }
            // In the order the silos were made (and their memory allocated): fewer cache
            // and TLB misses than in time order, and the order within a batch changes nothing.
            batch.sort()
            world.clock.set(due)
            totals.merge(run(batch))
            for index in batch { queue.push(silos[index].next, index) }
            end = horizon
        }
        if target == nil { end = limit }
        let s3After = world.store.requestCounts()
        let stacksAfter = stackRequests()
        return PhaseStats(
            name: name, simulatedSeconds: end.timeIntervalSince(start), syncSeconds: nil, syncMedianSeconds: nil,
            wallSeconds: Double(DispatchTime.now().uptimeNanoseconds - wallBefore) / 1e9,
            processCPUSeconds: ProcessUsage.cpuSeconds() - cpuBefore,
            idle: totals.idle, deploy: totals.deploy, other: totals.other,
            idleCPUMedianMilliseconds: totals.idleCPUMedianMilliseconds,
            s3Requests: Dictionary(uniqueKeysWithValues: s3After.map { ($0.key.description, $0.value - (s3Before[$0.key] ?? 0)) }),
            stackRequests: stacksAfter.merging(stacksBefore) { $0 - $1 }.filter { $0.value != 0 },
            problems: totals.problems)
    }

    /// Steps the silos of one batch on `threads` threads, in chunks.
    private func run(_ batch: [Int]) -> StepTotals {
        let interval = options.interval
        let chunk = max(8, batch.count / (options.threads * 16))
        let merged = Mutex(StepTotals())
        let pool = WorkerPool(width: options.threads)
        for start in stride(from: 0, to: batch.count, by: chunk) {
            let members = batch[start..<min(start + chunk, batch.count)].map { silos[$0] }
            pool.submit {
                var local = StepTotals()
                for silo in members { local.add(silo.step(interval: interval)) }
                merged.withLock { $0.merge(local) }
            }
        }
        pool.wait()
        return merged.withLock { $0 }
    }

    /// CloudFormation calls of every silo's account so far, by action.
    private func stackRequests() -> [String: Int] {
        var total: [String: Int] = [:]
        for silo in silos { total.merge(silo.stacks.requests, uniquingKeysWith: +) }
        return total
    }
}

/// A simulation that could not finish, with what went wrong.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
