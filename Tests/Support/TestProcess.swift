import Foundation

/// A helper process a test starts (a proxy, a dedicated moto): it prints one line (its
/// port) when ready, and is killed by its pid when released (`FerryProcess` owns it).
public final class TestProcess: @unchecked Sendable {
    private let process: FerryProcess
    /// The first line the process printed.
    public let firstLine: String

    /// Starts `python arguments...` with extra environment and waits for its first line.
    public init(python arguments: [String], environment: [String: String] = [:]) throws {
        let python = TestEnvironment.python().split(separator: " ").map(String.init)
        process = try FerryProcess.start(program: python[0], Array(python.dropFirst()) + arguments, adding: environment)
        while true {
            let running = process.isRunning  // before reading: a line written just before the exit still counts
            let output = process.stdoutSoFar
            if let end = output.firstIndex(of: "\n") {
                firstLine = String(output[..<end])
                return
            }
            guard running else {
                throw TestProcessFailed(arguments: arguments, status: try process.wait().status,
                                        stderr: String(process.stderrSoFar.suffix(1500)))
            }
            usleep(20_000)
        }
    }

    /// What the process wrote on stderr so far.
    public var stderrSoFar: String { process.stderrSoFar }
}

/// A helper process started but did not do what a test needs from it.
public struct TestHelperNotReady: Error, CustomStringConvertible {
    public let what: String
    public let stderr: String
    public var description: String {
        "\(what); check that python has moto and boto3 (scripts/setup). Its error output ends with:\n"
            + String(stderr.suffix(1500))
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
