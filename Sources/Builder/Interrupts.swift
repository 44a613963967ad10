import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a Ctrl-C (SIGINT) or SIGTERM must undo before `ferry build`, `release` or
/// `publish` exits: the test commands run in their own process groups (so the
/// terminal's Ctrl-C does not reach them) and would outlive ferry, and temporary files
/// (the exported source, half-written zips) would stay in the cache. `install` turns
/// both signals into: stop every registered process group (SIGTERM, then SIGKILL), remove
/// every registered temporary path, say what state the release is in, exit 128 + signal.
///
/// The corresponding C functions are `signal` (to ignore the default action while a
/// dispatch source handles it) and `kill`.
public enum Interrupts {
    struct State: ~Copyable {
        var groups: Set<pid_t> = []
        var paths: Set<String> = []
        var note: String?
        var installed = false
        var interrupted = false
    }

    private static let state = Mutex(State())
    /// The dispatch sources, kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Handles SIGINT and SIGTERM from now on; `report` prints the closing line (stderr).
    public static func install(report: @escaping @Sendable (String) -> Void) {
        let first = state.withLock { state in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handle(number, report: report) }
            source.resume()
            sources.append(source)
        }
    }

    /// Says, if interrupted from now on, what state the work is in and how to finish it.
    public static func setNote(_ note: String?) {
        state.withLock { $0.note = note }
    }

    static func register(group pid: pid_t) {
        state.withLock { _ = $0.groups.insert(pid) }
    }

    static func unregister(group pid: pid_t) {
        state.withLock { _ = $0.groups.remove(pid) }
    }

    /// `path` (a file or folder) is removed on an interrupt; one already renamed away or
    /// removed costs nothing.
    public static func removeOnInterrupt(_ path: String) {
        state.withLock { _ = $0.paths.insert(path) }
    }

    public static func forget(_ path: String) {
        state.withLock { _ = $0.paths.remove(path) }
    }

    /// Called where the main thread would notice an interrupt's effects (a test group
    /// killed under it): once interrupted, it waits for the handler to finish and exit,
    /// instead of reporting the killed test as a failure.
    static func parkIfInterrupted() {
        guard state.withLock({ $0.interrupted }) else { return }
        while true { pause() }
    }

    private static func handle(_ number: Int32, report: @Sendable (String) -> Void) {
        let (groups, paths, note) = state.withLock { state in
            state.interrupted = true
            return (state.groups, state.paths, state.note)
        }
        for group in groups { kill(-group, SIGTERM) }
        if !groups.isEmpty {
            usleep(500_000)
            for group in groups { kill(-group, SIGKILL) }
        }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        var line = "ferry: interrupted (\(name))"
        if !groups.isEmpty { line += "; stopped the running test (\(groups.count) process group(s))" }
        if !paths.isEmpty { line += "; removed its temporary files" }
        report(line + (note.map { ". " + $0 } ?? ""))
        exit(128 + number)
    }
}
