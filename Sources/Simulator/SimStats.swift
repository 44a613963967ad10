#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// CPU and wall time of one kind of tick, summed over the silos that ran it.
public struct TickStats: Codable, Sendable, Equatable {
    public var count = 0
    public var cpuNanoseconds: UInt64 = 0
    public var wallNanoseconds: UInt64 = 0

    mutating func add(_ step: SimSilo.Step) {
        count += 1
        cpuNanoseconds += step.cpuNanoseconds
        wallNanoseconds += step.wallNanoseconds
    }

    mutating func merge(_ other: TickStats) {
        count += other.count
        cpuNanoseconds += other.cpuNanoseconds
        wallNanoseconds += other.wallNanoseconds
    }

    /// Milliseconds of the ticking thread's CPU per tick.
    public var cpuMillisecondsPerTick: Double { count == 0 ? 0 : Double(cpuNanoseconds) / Double(count) / 1e6 }
    public var wallMillisecondsPerTick: Double { count == 0 ? 0 : Double(wallNanoseconds) / Double(count) / 1e6 }
}

/// The steps of one batch, summed on the thread that ran them.
struct StepTotals {
    var idle = TickStats()
    var deploy = TickStats()
    var other = TickStats()
    var problems: [String] = []
    /// The CPU of each idle tick (ns), for the median: a mean on a shared machine moves
    /// with every burst of other load (a preempted tick refills its caches on our time).
    var idleCPU: [UInt32] = []

    mutating func add(_ step: SimSilo.Step) {
        switch step.kind {
        case .idle:
            idle.add(step)
            idleCPU.append(UInt32(clamping: step.cpuNanoseconds))
        case .deploy: deploy.add(step)
        case .other: other.add(step)
        }
        if let problem = step.problem, problems.count < 20 { problems.append(problem) }
    }

    mutating func merge(_ other: StepTotals) {
        idle.merge(other.idle)
        deploy.merge(other.deploy)
        self.other.merge(other.other)
        idleCPU += other.idleCPU
        problems += other.problems.prefix(max(0, 20 - problems.count))
    }
}

/// One span of the simulation: the first release, the idle window, the update.
public struct PhaseStats: Codable, Sendable {
    public var name: String
    /// Simulated seconds the phase spans.
    public var simulatedSeconds: Double
    /// Simulated seconds from the publication to the last silo in sync (release phases).
    public var syncSeconds: Double?
    /// The median silo's time to in sync (release phases).
    public var syncMedianSeconds: Double?
    public var wallSeconds: Double
    /// The whole process's CPU over the phase (`getrusage`): the ticks and the scheduler.
    public var processCPUSeconds: Double
    public var idle: TickStats
    public var deploy: TickStats
    public var other: TickStats
    /// The median idle tick's CPU, in milliseconds (0 without idle ticks).
    public var idleCPUMedianMilliseconds: Double
    /// Requests of the whole fleet in this phase, by kind: S3 (`MemoryStore`) and
    /// CloudFormation (`MemoryStacks`, summed over the silos' accounts).
    public var s3Requests: [String: Int]
    public var stackRequests: [String: Int]
    public var problems: [String]

    /// Ticks of every kind.
    public var ticks: Int { idle.count + deploy.count + other.count }
}

extension StepTotals {
    var idleCPUMedianMilliseconds: Double {
        guard !idleCPU.isEmpty else { return 0 }
        return Double(idleCPU.sorted()[idleCPU.count / 2]) / 1e6
    }
}

/// The process's own measures (the corresponding C function is `getrusage`).
enum ProcessUsage {
    /// User + system CPU of the whole process, in seconds.
    static func cpuSeconds() -> Double {
        let usage = current()
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The peak resident set so far, in bytes (`ru_maxrss` is in KiB on Linux).
    static func peakRSS() -> Int {
        let usage = current()
        return Int(usage.ru_maxrss) * 1024
    }

    /// The resident set now (`/proc/self/statm`), in bytes; 0 where there is none.
    static func currentRSS() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func current() -> rusage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    private static func seconds(_ value: timeval) -> Double {
        Double(value.tv_sec) + Double(value.tv_usec) / 1e6
    }
}
