import Foundation
import Manifest

/// The tests gate: a pipeline's test commands, run one after the other in the exported
/// source folder; the first failure stops the release.
///
/// Each command runs with `/bin/sh -c` in its own process group, with the builder's
/// environment plus the test's `env`, stdin `/dev/null`, its stdout and stderr joined.
/// Output goes line by line to `BuildProgress.testOutput` as it comes, and into the
/// log (`tests.log` in the bundle). A command that runs past its timeout has its whole
/// process group stopped (SIGTERM, then SIGKILL) and fails.
public enum TestsGate {
    /// What the gate ran: the manifest's `tests` and the text of `tests.log`.
    public struct Record: Sendable, Equatable {
        public var runs: [Manifest.TestRun]
        /// Each test's header line, its output, and its result line. No times, so the
        /// same output gives the same log.
        public var log: Data

        public init(runs: [Manifest.TestRun] = [], log: Data = Data()) {
            self.runs = runs
            self.log = log
        }

        /// Adds one test's run and its section of the log.
        mutating func append(_ run: Manifest.TestRun, log section: Data) {
            runs.append(run)
            log.append(section)
        }
    }

    /// Runs every test of `tests` in `folder`. Throws `.testFailed` at the first test
    /// that exits non-zero or times out; `.testNotStarted` if a command cannot be started.
    /// `passed` is told of each test that passed, with its run and its section of the log.
    public static func run(_ tests: [PipelineDefinition.TestStep], in folder: String,
                           environment base: [String: String] = ProcessInfo.processInfo.environment,
                           progress: BuildProgress = .silent,
                           passed: (PipelineDefinition.TestStep, Manifest.TestRun, Data) throws(BuildError) -> Void
                               = { _, _, _ in }) throws(BuildError) -> Record {
        var record = Record()
        for test in tests {
            var log = Data("==> \(test.name): \(test.run)\n".utf8)
            let group = try ProcessGroup(command: test.run, folder: folder,
                                         environment: base.merging(test.environment) { $1 })
            var lines = LineSplitter()
            let outcome = group.run(timeout: Double(test.timeout)) { chunk in
                log.append(chunk)
                for line in lines.feed(chunk) { progress.testOutput(test.name, line) }
            }
            if let rest = lines.finish() { progress.testOutput(test.name, rest) }
            if log.last != UInt8(ascii: "\n") { log.append(UInt8(ascii: "\n")) }
            let verdict = outcome.timedOut ? "timed out after \(test.timeout)s" : "exit status \(outcome.exitStatus)"
            log.append(Data("<== \(test.name): \(verdict)\n".utf8))
            let run = Manifest.TestRun(name: test.name, command: test.run, exitStatus: outcome.exitStatus,
                                       durationMs: outcome.durationMs)
            record.append(run, log: log)
            if outcome.timedOut {
                throw BuildError(.testFailed, "test '\(test.name)' ran longer than its timeout of \(test.timeout)s and was "
                    + "stopped (with everything it started); nothing was published. Make it faster or raise "
                    + "its timeout in the pipeline definition")
            }
            if outcome.exitStatus != 0 {
                throw BuildError(.testFailed, "test '\(test.name)' failed with exit status \(outcome.exitStatus); nothing "
                    + "was published. Its output is above; fix the code or the test and release again")
            }
            try passed(test, run, log)
        }
        return record
    }
}

/// Splits a byte stream into lines (`\n`; a trailing `\r` is dropped), across chunks.
struct LineSplitter {
    private var pending = Data()

    /// The complete lines in what arrived so far.
    mutating func feed(_ chunk: Data) -> [String] {
        pending.append(chunk)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[pending.startIndex..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }

    /// The last line, if it had no newline.
    mutating func finish() -> String? {
        defer { pending = Data() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
