import Basics
import Foundation
import Synchronization

/// Rollouts with brakes, checked at scale over seeded random schedules (issue 14). Each
/// schedule (`RolloutSchedule`) runs a fleet through one rollout of a release that may be
/// bad: silos that fail it, silos whose alarms fire during their bake under a health
/// gate (and old agents that never report health), silos that go silent (stale
/// reports), a controller that is down one tick in ten and restarts with no memory, and
/// a second controller that races it. The controller is the real `RolloutController` writing signed pointers by
/// compare-and-swap through `SharedBucket` on a `MemoryStore`; the silos read those
/// pointers as agents do (conditional GET, `openPointer`, the agent's `selectTarget`)
/// and write `StatusReport`s the controller reads back. On every step it checks:
///
/// - no silo of an unopened wave starts applying the release (in the block it accepted
///   and in the pointer in the bucket);
/// - never more silos move to the release at once than its open waves hold;
/// - the halt comes on the first controller tick at which the tolerance is crossed
///   (a silo unhealthy on the release counts as a failure);
/// - no silo applies a quarantined version;
/// - under a health gate, no wave opens while a silo of the open waves in sync at the
///   release bakes or has reported no health on it (an agent older than health gates);
/// - two racing controllers write one pointer, never two; no wave opens in a freeze.
///
/// Schedules are independent and run `threads` at a time; each is seeded by its index,
/// so the result does not depend on the threads.
public struct RolloutSimulation: Sendable {
    /// Where the controller and the silos meet.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// The real `RolloutController` over `SharedBucket` on a `MemoryStore`: signed
        /// pointers by compare-and-swap, a rival controller, reports as objects.
        case bucket
        /// The controller's judgement alone (`RolloutDecision`) on the schedule's pointer
        /// and the silos' reports in memory: no signing, no bucket, no race; the same
        /// silos, faults and invariants, at a fraction of the cost.
        case memory
    }

    public var silos: Int
    public var schedules: Int
    public var seed: UInt64
    public var threads: Int
    /// Simulated seconds between the controller's ticks (`ferry rollout --every`), a
    /// multiple of the silos' 30 s.
    public var controllerInterval: Int
    public var mode: Mode

    public init(silos: Int, schedules: Int, seed: UInt64 = 1, threads: Int = 1, controllerInterval: Int = 30,
                mode: Mode = .bucket) {
        self.mode = mode
        self.silos = silos
        self.schedules = schedules
        self.seed = seed
        self.threads = max(threads, 1)
        self.controllerInterval = controllerInterval
    }

    public struct Result: Sendable, Equatable, Codable {
        public var schedules = 0
        public var checks = 0
        public var halted = 0
        public var completed = 0
        /// Schedules that ended held: nothing could move any more (silent silos in an
        /// open wave under `unreported: wait`).
        public var held = 0
        /// Controller ticks that ran, ticks it was down (a restart), halts it signed, and
        /// races in which the rival wrote first.
        public var controllerTicks = 0
        public var restarts = 0
        public var halts = 0
        public var races = 0
        /// Schedules under a health gate, silos in them that ran an agent older than health
        /// gates, silos that reported themselves unhealthy on the new release, and halts
        /// signed while one did.
        public var gated = 0
        public var oldAgents = 0
        public var unhealthy = 0
        public var healthHalts = 0
        /// Simulated seconds from the promote to the last wave in sync, per completed schedule.
        public var completedSeconds: [Double] = []
        public var violations: [String] = []

        mutating func add(_ other: Result, schedule: Int) {
            schedules += other.schedules
            checks += other.checks
            halted += other.halted
            completed += other.completed
            held += other.held
            controllerTicks += other.controllerTicks
            restarts += other.restarts
            halts += other.halts
            races += other.races
            gated += other.gated
            oldAgents += other.oldAgents
            unhealthy += other.unhealthy
            healthHalts += other.healthHalts
            completedSeconds += other.completedSeconds
            violations += other.violations.map { "schedule \(schedule): \($0)" }
        }
    }

    /// Runs every schedule; `progress` is told, after each one, what the schedules done
    /// so far found (in the order they ended).
    public func run(progress: (@Sendable (Result) -> Void)? = nil) throws -> Result {
        let done = Mutex(Result())
        let (silos, seed, mode, every) = (silos, seed, mode, max(controllerInterval / Int(RolloutSchedule.step), 1))
        let outcomes = parallelMap(Array(0..<schedules), width: threads) { index -> Swift.Result<Result, SimulationError> in
            do {
                var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
                var schedule = try RolloutSchedule(silos: silos, mode: mode, controllerEvery: every, rng: &rng)
                let result = try schedule.run(rng: &rng)
                let sofar = done.withLock { $0.add(result, schedule: index); return $0 }
                progress?(sofar)
                return .success(result)
            } catch {
                return .failure(SimulationError("schedule \(index): \(error)"))
            }
        }
        var total = Result()
        for (index, outcome) in outcomes.enumerated() { total.add(try outcome.get(), schedule: index) }
        return total
    }

    /// One line for people: what ran and what it found.
    public static func summary(_ result: Result, silos: Int) -> String {
        let times = result.completedSeconds.sorted()
        let median = times.isEmpty ? "-" : "\(Int(times[times.count / 2]))s"
        return "rollout simulation: \(silos) silos, \(result.schedules) schedules, \(result.checks) checks, "
            + "\(result.halted) halted, \(result.completed) completed (median \(median) simulated), \(result.held) held, "
            + "\(result.controllerTicks) controller ticks, \(result.restarts) restarts, \(result.races) races the rival won, "
            + "\(result.gated) under a health gate (\(result.unhealthy) silos unhealthy, \(result.healthHalts) halts with one, "
            + "\(result.oldAgents) old agents), \(result.violations.count) violations"
    }
}
