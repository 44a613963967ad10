import Dispatch
import Foundation

/// "Stop at the next safe point": set by SIGTERM or SIGINT (after `install`) or by
/// `request()`. Sleeps through `sleep(seconds:)` end at once when it is set, so an agent
/// between ticks, or waiting between two CloudFormation polls, stops without delay.
public final class StopSignal: AgentClock, @unchecked Sendable {
    private let condition = NSCondition()
    private var requested = false
    private var reason: String?
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Routes SIGTERM and SIGINT to `request` (the default actions are switched off).
    /// `onSignal` runs once per signal, e.g. to log it.
    public func install(onSignal: @escaping @Sendable (String) -> Void = { _ in }) {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                onSignal(name)
                self?.request(because: name)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Asks everything waiting on this signal to stop.
    public func request(because why: String = "asked to stop") {
        condition.lock()
        if !requested {
            requested = true
            reason = why
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Forgets a stop asked for: the next run of an agent that serves several (`LambdaHost`:
    /// one per invocation) starts without it.
    public func reset() {
        condition.lock()
        requested = false
        reason = nil
        condition.unlock()
    }

    /// Whether a stop was asked for.
    public var isRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return requested
    }

    /// What asked for the stop (`SIGTERM`), if anything did.
    public var requestedBy: String? {
        condition.lock()
        defer { condition.unlock() }
        return reason
    }

    // MARK: AgentClock

    public func now() -> Date { Date() }

    /// Waits `seconds`, or less when a stop is asked for meanwhile.
    public func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !requested, condition.wait(until: deadline) {}
    }
}
