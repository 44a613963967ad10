import Agent
import Bucket
import Foundation
import Logging
import Manifest
import MemoryStacks
import MemoryStore

/// What a simulation runs: the fleet's size, its cadence and the stacks' latency.
public struct SimulationOptions: Sendable {
    public var silos: Int
    /// Ticks per silo in the idle window between the two releases.
    public var idleTicks: Int
    public var seed: UInt64
    /// The agents' cadence (`--interval`, `--pin-interval`, `--heartbeat`), simulated seconds.
    public var interval: Double
    public var pinInterval: Double
    public var heartbeat: Double
    /// How long CloudFormation takes, simulated.
    public var latency: MemoryStacks.Latency
    /// Threads that run silos (each silo on one thread at a time).
    public var threads: Int
    /// Where each silo's state folder (its unpacked releases) goes; a tmpfs is best.
    public var root: String
    /// A release not in sync everywhere this long after its publication fails the run.
    public var syncLimit: Double
    public var pipeline = "sim"
    public var channel = "stable"

    public init(silos: Int, idleTicks: Int = 20, seed: UInt64 = 1, interval: Double = AgentSettings.defaultInterval,
                pinInterval: Double = AgentSettings.defaultPinInterval, heartbeat: Double = AgentSettings.defaultHeartbeat,
                latency: MemoryStacks.Latency = .init(changeSet: 3, create: 30, update: 20, delete: 10, rollback: 20),
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, root: String, syncLimit: Double = 3_600) {
        self.silos = silos
        self.idleTicks = idleTicks
        self.seed = seed
        self.interval = interval
        self.pinInterval = pinInterval
        self.heartbeat = heartbeat
        self.latency = latency
        self.threads = threads
        self.root = root
        self.syncLimit = syncLimit
    }
}

/// What every silo shares: the bucket (one `MemoryStore`), the signing key and the
/// trust built from it, the world's clock and a logger that drops everything.
final class SimWorld: @unchecked Sendable {
    let options: SimulationOptions
    let root: String
    let store: MemoryStore
    let clock: WorldClock
    let bucket: SharedBucket
    /// One key for every role (builder, release, on-call), as a test fixture would.
    let key: SigningKey
    let trust: TrustStore
    let logger: Logger
    /// The versions published so far (by the scheduler's thread only).
    private(set) var published: [SemVer] = []

    /// The simulated time the world starts at.
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    init(options: SimulationOptions) throws {
        self.options = options
        root = options.root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let clock = WorldClock(Self.start)
        self.clock = clock
        store = MemoryStore(now: { clock.now() })
        store.createBucket("ferry-sim")
        bucket = SharedBucket(store: store, name: "ferry-sim", layout: BucketLayout(prefix: "ferry/"))
        key = try SigningKey(seed: Data((0..<32).map { UInt8(truncatingIfNeeded: Int(options.seed) &+ $0) }))
        trust = TrustStore([(key.publicKey, Set(Role.allCases))])
        logger = Logger(label: "ferry-sim", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// Publishes `version` on the channel at the world's time (see `SimRelease.publish`).
    func publish(_ version: SemVer, at time: Date) throws -> ReleaseRef {
        clock.set(time)
        published.append(version)
        return try SimRelease.publish(to: bucket, pipeline: options.pipeline, channel: options.channel,
                                      version: version, key: key, trust: trust, now: time, scratch: root)
    }
}
