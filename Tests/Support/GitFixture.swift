import Foundation

/// A throwaway git repository in a temporary folder, built with the `git` command.
///
/// Ferry's own code never runs `git`; tests may, to make fixtures the way a person
/// would. Global and system git configuration are ignored so the machine's settings
/// cannot change a test; commits get the fixed dates the test gives.
public final class GitFixture {
    public let directory: TemporaryDirectory
    /// The working tree's folder.
    public var path: String { directory.path }

    /// `git init` on branch `main`, with a local `user.name` / `user.email`.
    public init(_ label: String = "ferry-git") throws {
        directory = try TemporaryDirectory(label)
        try git("init", "-q", "-b", "main")
        try git("config", "user.name", "Fixture Person")
        try git("config", "user.email", "fixture@example.com")
    }

    /// Runs `git -C <path> args...` and returns its standard output, trimmed.
    /// Throws `GitCommandFailed` (with git's output) when git exits non-zero.
    @discardableResult
    public func git(_ arguments: String..., date: Int64 = 1_700_000_000) throws -> String {
        try Self.run(["-C", path] + arguments, date: date)
    }

    /// Writes a file (creating folders) in the working tree.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try directory.write(relative, contents)
    }

    /// Writes raw bytes to a file in the working tree.
    public func write(_ relative: String, bytes: Data) throws {
        let file = directory.url(relative)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: file))
    }

    /// `git add -A` and `git commit` with author and committer time `date` (seconds since
    /// the epoch, +0100); returns the new commit id.
    @discardableResult
    public func commitAll(_ message: String, date: Int64 = 1_700_000_000) throws -> String {
        try git("add", "-A", date: date)
        try git("commit", "-q", "-m", message, date: date)
        return try git("rev-parse", "HEAD")
    }

    /// Runs `git` with the fixture environment (no global or system configuration).
    @discardableResult
    public static func run(_ arguments: [String], date: Int64 = 1_700_000_000) throws -> String {
        let run = try FerryProcess.run(program: "git", arguments, adding: [
            "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_DATE": "@\(date) +0100",
            "GIT_COMMITTER_DATE": "@\(date) +0100", "GIT_TERMINAL_PROMPT": "0",
        ])
        guard run.succeeded else {
            throw GitCommandFailed(arguments: arguments, status: run.status,
                                   output: (run.stdout + run.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A `git` command run by a test fixture failed.
public struct GitCommandFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let output: String
    public var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(output)" }
}
