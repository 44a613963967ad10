import Foundation
import TestSupport

/// Runs the test Python (`TestEnvironment.python()`) on `script` with `arguments`;
/// returns standard output and error. Throws with the output when Python fails.
func runPython(_ script: String, _ arguments: [String] = []) throws -> String {
    let folder = try TemporaryDirectory("ferry-py")
    let file = try folder.write("script.py", script)
    let run = try FerryProcess.runPython([file] + arguments).check()
    return run.stdout + run.stderr
}

/// Runs a program (absolute path or on PATH) and returns its standard output and error.
/// Throws `FerryRunFailed` on a non-zero exit.
@discardableResult
func run(_ command: [String]) throws -> String {
    let run = try FerryProcess.run(program: command[0], Array(command.dropFirst())).check()
    return run.stdout + run.stderr
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
