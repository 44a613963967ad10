import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a command run by `ProcessGroup` ended.
struct CommandOutcome: Sendable, Equatable {
    /// The exit status; 128 + the signal number when a signal ended it (as a shell says).
    var exitStatus: Int
    /// It ran past its timeout and its process group was killed.
    var timedOut: Bool
    var durationMs: Int
}

/// One `/bin/sh -c COMMAND` in its own process group, its stdout and stderr joined on one
/// pipe (one reader cannot deadlock on two streams), stdin `/dev/null`. Owns the pid and
/// the pipe's read end: `deinit` kills the group and reaps the child if `run` did not.
///
/// The corresponding C functions are `posix_spawn` (with `POSIX_SPAWN_SETPGROUP`),
/// `poll`, `read`, `waitid`, `kill` and `waitpid`.
final class ProcessGroup {
    private let pid: pid_t
    private let output: Int32
    private var reaped = false

    /// Seconds a timed-out group gets between SIGTERM and SIGKILL.
    static let termGraceSeconds = 2.0

    /// Starts `command` with `/bin/sh -c` in `folder` with exactly `environment`.
    init(command: String, folder: String, environment: [String: String]) throws(BuildError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Self.failure("pipe", command) }
        // Only the child's copies (dup2 onto 1 and 2) survive exec.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
            close(fds[1])
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        // Own process group (so a timeout can kill everything it started), default
        // signal handling and an empty mask whatever the parent blocks or ignores.
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // A first shell changes to the folder (posix_spawn has no portable chdir), then
        // becomes `/bin/sh -c COMMAND` exactly; both come as arguments, so nothing is quoted.
        let arguments = ["/bin/sh", "-c", "cd -- \"$1\" && exec /bin/sh -c \"$2\"", "ferry-test", folder, command]
        let variables = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        var child: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(variables) { envp in
                posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            close(fds[0])
            throw BuildError(.testNotStarted, "could not start /bin/sh for `\(command)`: check that /bin/sh exists",
                             cause: "posix_spawn: " + String(cString: strerror(result)))
        }
        pid = child
        output = fds[0]
        Interrupts.register(group: child)
    }

    deinit {
        if !reaped {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        Interrupts.unregister(group: pid)
        close(output)
    }

    /// Reads the output as it comes (`onOutput` gets each chunk) until the command ends or
    /// `timeout` seconds pass. A timed-out group gets SIGTERM, then SIGKILL after
    /// `termGraceSeconds`. When the command ends, what it left running in its group is
    /// killed, so the pipe closes and nothing outlives the test.
    func run(timeout: Double, onOutput: (Data) -> Void) -> CommandOutcome {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(timeout * 1000))
        var timedOut = false
        var killAt: ContinuousClock.Instant?
        var open = true
        while !hasExited() {
            let now = ContinuousClock.now
            if !timedOut, now >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = now + .milliseconds(Int64(Self.termGraceSeconds * 1000))
            }
            if let at = killAt, now >= at {
                kill(-pid, SIGKILL)
                killAt = nil
            }
            if open { open = readAvailable(waitingMs: 50, onOutput) } else { usleep(20_000) }
        }
        // The leader is a zombie until reaped, so its group id cannot be reused yet.
        kill(-pid, SIGKILL)
        let exitStatus = reap()
        Interrupts.parkIfInterrupted()
        // Whatever is still buffered; the writers are gone, so EOF comes (bounded in case
        // something escaped the group with setsid and holds the pipe).
        let drainUntil = ContinuousClock.now + .seconds(2)
        while open, ContinuousClock.now < drainUntil { open = readAvailable(waitingMs: 100, onOutput) }
        let elapsed = ContinuousClock.now - started
        let ms = Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
        return CommandOutcome(exitStatus: exitStatus, timedOut: timedOut, durationMs: ms)
    }

    /// Polls the pipe up to `waitingMs` and reads what is there; false at end of file.
    private func readAvailable(waitingMs: Int32, _ onOutput: (Data) -> Void) -> Bool {
        var entry = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, waitingMs)
        guard ready > 0 else { return true }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        if count > 0 {
            onOutput(Data(buffer[0..<count]))
            return true
        }
        return count < 0 && (errno == EINTR || errno == EAGAIN)
    }

    /// Whether the child has ended, without reaping it (`waitid` with `WNOWAIT`).
    private func hasExited() -> Bool {
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return result == 0 && info.si_signo == SIGCHLD
    }

    /// Reaps the child: its exit status, or 128 + signal.
    private func reap() -> Int {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        let signal = status & 0x7f
        return signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)
    }

    private static func failure(_ function: String, _ command: String) -> BuildError {
        BuildError(.testNotStarted, "could not start `\(command)`", cause: "\(function): " + String(cString: strerror(errno)))
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`, freed after.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
