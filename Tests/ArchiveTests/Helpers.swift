import Foundation
import TestSupport

/// Runs the test Python (`TestEnvironment.python()`) on `script` with `arguments`;
/// returns standard output. Throws with the output when Python fails.
func runPython(_ script: String, _ arguments: [String] = []) throws -> String {
    let folder = try TemporaryDirectory("ferry-py")
    let file = try folder.write("script.py", script)
    return try run(TestEnvironment.python().split(separator: " ").map(String.init) + [file] + arguments)
}

/// Runs a command (absolute path or via /usr/bin/env) and returns its standard output
/// and error, merged. Throws `CommandFailed` on a non-zero exit.
@discardableResult
func run(_ command: [String], environment: [String: String] = [:]) throws -> String {
    let process = Process()
    if command[0].hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandFailed(command: command, output: output) }
    return output
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: [String]
    let output: String
    var description: String { "\(command.joined(separator: " ")) failed: \(output)" }
}

/// The names in `folder`, recursively, sorted; empty if it does not exist.
func listing(_ folder: String) -> [String] {
    (FileManager.default.subpaths(atPath: folder) ?? []).sorted()
}

func exists(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0
}

func fileMode(_ path: String) -> mode_t {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & 0o7777 : 0
}

/// Deterministic pseudo-random bytes (incompressible enough for ratio tests).
func noise(_ count: Int, seed: UInt64 = 42) -> Data {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    return Data(bytes)
}
