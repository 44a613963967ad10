import Agent
import Basics
import Foundation
import Synchronization

/// One silo's simulated clock: `sleep` moves its time on at once, without sleeping, so
/// an agent that follows a CloudFormation operation for minutes does so in microseconds.
/// The scheduler sets it to the silo's tick time before each step; only the thread
/// running that step reads or moves it (`Simulation` never runs a silo on two threads).
public final class SimClock: AgentClock, @unchecked Sendable {
    private var time: Date

    public init(_ start: Date) {
        time = start
    }

    public func now() -> Date { time }

    public func sleep(seconds: Double) {
        if seconds > 0 { time = time.addingTimeInterval(seconds) }
    }

    /// Jumps to `date` (a tick's time, never earlier than what the silo has seen).
    func set(_ date: Date) {
        if date > time { time = date }
    }
}

/// The shared world's time, as far as the scheduler has moved it: the start of the batch
/// of ticks running now. Stamps `lastModified` in the shared `MemoryStore`.
final class WorldClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date) {
        time = Mutex(start)
    }

    func now() -> Date { time.withLock { $0 } }

    func set(_ date: Date) { time.withLock { $0 = date } }
}
