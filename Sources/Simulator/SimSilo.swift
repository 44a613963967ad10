#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Agent
import Basics
import Bucket
import Foundation
import Logging
import Manifest
import MemoryStacks

/// One silo of the simulated fleet: a real `Agent` with its own journal (SQLite in
/// memory: no file, no descriptor), release folder, status reporter and CloudFormation
/// account (`MemoryStacks` on the silo's clock), over the fleet's shared bucket.
final class SimSilo: @unchecked Sendable {
    let name: String
    let clock: SimClock
    let agent: Agent
    let stacks: MemoryStacks
    /// When the silo ticks next (simulated).
    var next: Date
    private var rng: SplitMix64
    private var started = false
    /// The version its last applying tick applied, and when that tick ended.
    private(set) var applied: SemVer?
    private(set) var appliedAt: Date?

    init(index: Int, world: SimWorld, firstTick: Date) throws {
        name = String(format: "silo-%05d", index)
        clock = SimClock(firstTick)
        next = firstTick
        rng = SplitMix64(seed: world.options.seed &+ UInt64(index) &* 0x1_0000_0001)
        let options = world.options
        var flags = AgentSettings.Layer()
        flags.bucket = world.bucket.name
        flags.prefix = world.bucket.layout.prefix
        flags.pipelines = [options.pipeline]
        flags.channel = options.channel
        flags.silo = name
        flags.trust = ["simulator.pub"]
        flags.stateDirectory = world.root + "/" + name
        flags.interval = "\(options.interval)"
        flags.pinInterval = "\(options.pinInterval)"
        flags.heartbeat = "\(options.heartbeat)"
        let settings = try AgentSettings.resolve(flags: flags)
        let clock = clock
        let journal = try Journal(path: ":memory:", clock: { clock.now() })
        let store = ReleaseStore(bucket: world.bucket, trust: world.trust, root: settings.stateDirectory + "/releases",
                                 limits: settings.limits)
        let reporter = StatusReporter(bucket: world.bucket, journal: journal, silo: name, settings: settings)
        let stacks = MemoryStacks(clock: clock, latency: options.latency, account: String(format: "%012d", index + 1))
        self.stacks = stacks
        let bucket = world.bucket
        agent = Agent(settings: settings, silo: name, trust: world.trust, journal: journal, bucket: bucket,
                      store: store, reporter: reporter, stacks: { _ in stacks },
                      artifacts: SiloArtifacts(sharedBucket: bucket.name, scratch: settings.stateDirectory + "/artifacts",
                                               fetch: SiloArtifacts.fetching(from: bucket), destination: { _ in nil }),
                      clock: clock, logger: world.logger)
    }

    /// What one step of the silo did.
    struct Step {
        enum Kind { case idle, deploy, other }
        var kind: Kind
        var cpuNanoseconds: UInt64
        var wallNanoseconds: UInt64
        var problem: String?
    }

    /// One turn of `ferry agent run`'s loop at the silo's tick time: on the first turn,
    /// resume what is in flight; then one tick; then the jittered wait (±10 %) until the
    /// next. A tick is idle when every pipeline's outcome is, a deploy tick when one applied.
    func step(interval: Double) -> Step {
        clock.set(next)
        let cpuBefore = Self.threadCPU()
        let wallBefore = DispatchTime.now().uptimeNanoseconds
        var outcomes: [PipelineOutcome] = []
        if !started {
            outcomes += agent.resumeInFlight()
            started = true
        }
        outcomes += agent.tick()
        let wall = DispatchTime.now().uptimeNanoseconds - wallBefore
        let cpu = Self.threadCPU() - cpuBefore
        var kind = Step.Kind.other
        if outcomes.allSatisfy({ $0.kind == .idle }) {
            kind = .idle
        } else if let done = outcomes.last(where: { $0.kind == .applied }) {
            kind = .deploy
            applied = done.target
            appliedAt = clock.now()
        }
        let problem = outcomes.first(where: \.isProblem).map { "\(name): \($0.kind) \($0.error?.message ?? "")" }
        next = clock.now().addingTimeInterval(interval * Double.random(in: 0.9...1.1, using: &rng))
        return Step(kind: kind, cpuNanoseconds: cpu, wallNanoseconds: wall, problem: problem)
    }

    /// CPU time of the calling thread (user + system), in nanoseconds.
    /// The corresponding C function is `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
    static func threadCPU() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
