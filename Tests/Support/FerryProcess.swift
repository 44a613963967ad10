import Foundation

/// A program a test runs — the `ferry` binary above all, also `git`, the test Python,
/// `unzip` — with its standard output and error going to files, so that no pipe can
/// fill up and block it. `start` returns at once (signal it by `pid`); `wait` collects
/// the outcome. A process still running when released is killed.
///
/// ```swift
/// let run = try FerryProcess.run(["status", "webapp"], environment: env)
/// #expect(run.status == 0, "\(run.stderr)")
/// ```
public final class FerryProcess: @unchecked Sendable {
    private let process = Process()
    private let files: TemporaryDirectory
    /// The command line, for messages.
    public let command: [String]

    /// The process id, for signals.
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Starts the `ferry` binary (`TestEnvironment.ferryBinary()`) with `arguments`.
    /// `environment`: exactly these variables, or (nil) the test runner's; `adding` goes on
    /// top of either. `folder`: the working folder. `umask`: e.g. "077", set by `/bin/sh`
    /// just before it becomes the program (the test runner's own umask is shared by every
    /// test running in parallel, so it is never changed).
    public static func start(_ arguments: [String], environment: [String: String]? = nil,
                             adding extra: [String: String] = [:], folder: String? = nil,
                             umask: String? = nil) throws -> FerryProcess {
        try FerryProcess(program: try TestEnvironment.ferryBinary(), arguments, environment: environment, adding: extra,
                         folder: folder, umask: umask)
    }

    /// Starts another program: an absolute path, or a name looked up on `PATH`.
    public static func start(program: String, _ arguments: [String], environment: [String: String]? = nil,
                             adding extra: [String: String] = [:], folder: String? = nil,
                             umask: String? = nil) throws -> FerryProcess {
        try FerryProcess(program: program, arguments, environment: environment, adding: extra, folder: folder,
                         umask: umask)
    }

    /// `start` then `wait`: `ferry arguments...` to the end.
    public static func run(_ arguments: [String], environment: [String: String]? = nil,
                           adding extra: [String: String] = [:], folder: String? = nil,
                           umask: String? = nil) throws -> FerryRun {
        try start(arguments, environment: environment, adding: extra, folder: folder, umask: umask).wait()
    }

    /// `start(program:)` then `wait`.
    public static func run(program: String, _ arguments: [String], environment: [String: String]? = nil,
                           adding extra: [String: String] = [:], folder: String? = nil,
                           umask: String? = nil) throws -> FerryRun {
        try start(program: program, arguments, environment: environment, adding: extra, folder: folder,
                  umask: umask).wait()
    }

    /// The test Python (`TestEnvironment.python()`, which may be `env python3`) with `arguments`.
    public static func runPython(_ arguments: [String], environment: [String: String]? = nil,
                                 adding extra: [String: String] = [:], folder: String? = nil) throws -> FerryRun {
        let python = TestEnvironment.python().split(separator: " ").map(String.init)
        return try run(program: python[0], Array(python.dropFirst()) + arguments, environment: environment,
                       adding: extra, folder: folder)
    }

    private init(program: String, _ arguments: [String], environment: [String: String]?, adding extra: [String: String],
                 folder: String?, umask: String?) throws {
        command = [program] + arguments
        files = try TemporaryDirectory("ferry-process")
        let resolved = program.hasPrefix("/") ? [program] : ["/usr/bin/env", program]
        if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\""] + resolved + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: resolved[0])
            process.arguments = Array(resolved.dropFirst()) + arguments
        }
        process.environment = (environment ?? ProcessInfo.processInfo.environment).merging(extra) { $1 }
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        for name in ["stdout", "stderr"] {
            guard FileManager.default.createFile(atPath: files.url(name), contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: files.url("stdout"))
        process.standardError = FileHandle(forWritingAtPath: files.url("stderr"))
        try process.run()
    }

    /// What the process wrote on stdout so far (it may still be running).
    public var stdoutSoFar: String { (try? String(contentsOfFile: files.url("stdout"), encoding: .utf8)) ?? "" }

    /// What the process wrote on stderr so far (it may still be running).
    public var stderrSoFar: String { (try? String(contentsOfFile: files.url("stderr"), encoding: .utf8)) ?? "" }

    /// Waits for the end and reads what the process wrote.
    public func wait() throws -> FerryRun {
        process.waitUntilExit()
        return FerryRun(command: command, status: process.terminationStatus,
                        killed: process.terminationReason == .uncaughtSignal,
                        stdout: try String(contentsOfFile: files.url("stdout"), encoding: .utf8),
                        stderr: try String(contentsOfFile: files.url("stderr"), encoding: .utf8))
    }

    /// SIGKILL by pid: a child of the test runner may inherit a mask that blocks SIGTERM.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// How a `FerryProcess` ended.
public struct FerryRun: Sendable, CustomStringConvertible {
    public let command: [String]
    /// The exit status, or the signal's number when `killed`.
    public let status: Int32
    /// Ended by a signal.
    public let killed: Bool
    public let stdout: String
    public let stderr: String

    /// The lines of stdout (a final empty one when it ends with a newline).
    public var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    /// The last non-empty line of stdout ("" when there is none).
    public var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    /// Exited with status 0.
    public var succeeded: Bool { !killed && status == 0 }

    /// Itself when it succeeded; else throws `FerryRunFailed` with the command and its output.
    @discardableResult
    public func check() throws -> FerryRun {
        guard succeeded else { throw FerryRunFailed(run: self) }
        return self
    }

    public var description: String {
        "`\(command.joined(separator: " "))` \(killed ? "was killed by signal" : "exited") \(status)"
    }
}

/// A program a test ran failed.
public struct FerryRunFailed: Error, CustomStringConvertible {
    public let run: FerryRun
    public init(run: FerryRun) { self.run = run }
    public var description: String { "\(run): \(run.stderr)\(run.stdout)" }
}
