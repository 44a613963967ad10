import Foundation
import TestSupport

/// Runs a command to completion, output captured through files (no pipe can fill up
/// and block), for the tests that compare with the AWS CLI.
struct ProcessRun {
    var status: Int32
    var stdout: String
    var stderr: String

    struct Failed: Error, CustomStringConvertible {
        var command: String
        var run: ProcessRun
        var description: String { "`\(command)` exited \(run.status): \(run.stderr)\(run.stdout)" }
    }

    /// Runs `arguments` with the Python that has awscli (`TestEnvironment.python()`),
    /// in `directory`; throws when it exits non-zero.
    @discardableResult
    static func python(_ arguments: [String], in directory: String? = nil,
                       environment: [String: String] = [:], check: Bool = true) throws -> ProcessRun {
        let python = TestEnvironment.python().split(separator: " ").map(String.init)
        return try run(python + arguments, in: directory, environment: environment, check: check)
    }

    /// With `check`, a non-zero exit throws `Failed`.
    @discardableResult
    static func run(_ command: [String], in directory: String? = nil, environment: [String: String] = [:],
                    check: Bool = true) throws -> ProcessRun {
        let scratch = try TemporaryDirectory("ferry-process")
        let out = scratch.url("stdout"), err = scratch.url("stderr")
        guard FileManager.default.createFile(atPath: out, contents: nil),
              FileManager.default.createFile(atPath: err, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0].hasPrefix("/") ? command[0] : "/usr/bin/env")
        process.arguments = command[0].hasPrefix("/") ? Array(command.dropFirst()) : command
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        let result = ProcessRun(status: process.terminationStatus,
                                stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                                stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        guard result.status == 0 || !check else { throw Failed(command: command.joined(separator: " "), run: result) }
        return result
    }
}
