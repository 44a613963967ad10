import Foundation

/// A helper process a test starts (a proxy, a dedicated moto): it prints one line (its
/// port) when ready, and is stopped by its pid when released.
public final class TestProcess: @unchecked Sendable {
    private let process = Process()
    /// The first line the process printed.
    public let firstLine: String

    /// Starts `python arguments...` with extra environment and waits for its first line.
    public init(python arguments: [String], environment: [String: String] = [:]) throws {
        let python = TestEnvironment.python().split(separator: " ").map(String.init)
        process.executableURL = URL(fileURLWithPath: python[0])
        process.arguments = Array(python.dropFirst()) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let errors = NSTemporaryDirectory() + "/ferry-helper-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errors)
        defer { try? FileManager.default.removeItem(atPath: errors) }
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                let log = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
                throw TestProcessFailed(arguments: arguments, status: process.terminationStatus,
                                        stderr: String(log.suffix(1500)))
            }
            buffer.append(chunk)
        }
        firstLine = String(decoding: buffer.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// SIGKILL by pid: a child of the test runner may inherit a mask that blocks SIGTERM.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A helper process ended before it said it was ready.
public struct TestProcessFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public var stderr: String = ""
    public var description: String {
        "the test helper \(arguments.joined(separator: " ")) exited with status \(status) before it was ready; "
            + "check that python has moto and boto3 (scripts/setup). Its error output ends with:\n\(stderr)"
    }
}
