import Foundation
import Synchronization
import TestSupport
import Testing
@testable import Builder

/// The tests gate: real `/bin/sh` commands in a temporary folder.
@Suite struct TestsGateTests {
    typealias Step = PipelineDefinition.TestStep

    /// Collects the lines the gate reports.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        var progress: BuildProgress {
            BuildProgress(testOutput: { test, line in self.lines.withLock { $0.append("\(test)|\(line)") } })
        }
    }

    @Test func runsInTheFolderWithTheTestsEnvironmentAndRecordsEachRun() throws {
        let folder = try TemporaryDirectory()
        let lines = Lines()
        let record = try TestsGate.run(
            [Step(name: "where", run: "pwd; echo \"stage=$STAGE\" >&2", environment: ["STAGE": "test"]),
             Step(name: "second", run: "printf 'no newline'")],
            in: folder.path, environment: ["PATH": "/usr/bin:/bin"], progress: lines.progress)
        let real = URL(fileURLWithPath: folder.path).resolvingSymlinksInPath().path
        #expect(lines.all == ["where|\(real)", "where|stage=test", "second|no newline"])
        #expect(record.runs.map(\.name) == ["where", "second"])
        #expect(record.runs.map(\.exitStatus) == [0, 0])
        #expect(record.runs.map(\.command) == ["pwd; echo \"stage=$STAGE\" >&2", "printf 'no newline'"])
        #expect(String(decoding: record.log, as: UTF8.self) == """
            ==> where: pwd; echo "stage=$STAGE" >&2
            \(real)
            stage=test
            <== where: exit status 0
            ==> second: printf 'no newline'
            no newline
            <== second: exit status 0

            """)
    }

    @Test func aFailingTestStopsTheGateAndLaterTestsDoNotRun() throws {
        let folder = try TemporaryDirectory()
        let error = try #require(throws: BuildError.self) {
            try TestsGate.run([Step(name: "unit", run: "echo broken; exit 3"),
                               Step(name: "never", run: "touch ran-anyway")],
                              in: folder.path)
        }
        #expect(error.code == .testFailed)
        #expect(error.message.contains("test 'unit' failed with exit status 3"))
        #expect(!FileManager.default.fileExists(atPath: folder.url("ran-anyway")))
    }

    @Test func aTimedOutTestHasItsWholeProcessGroupKilled() throws {
        let folder = try TemporaryDirectory()
        // The command starts a grandchild that would write a file after 3 s, then waits.
        let started = ContinuousClock.now
        let error = try #require(throws: BuildError.self) {
            try TestsGate.run([Step(name: "slow", run: "(sleep 3; touch leaked) & sleep 30", timeout: 1)], in: folder.path)
        }
        #expect(error.code == .testFailed)
        #expect(error.message.contains("ran longer than its timeout of 1s"))
        #expect(ContinuousClock.now - started < .seconds(10))
        Thread.sleep(forTimeInterval: 3.5)
        #expect(!FileManager.default.fileExists(atPath: folder.url("leaked")), "the grandchild outlived the timeout")
    }

    @Test func aTestIgnoringSIGTERMIsKilledAfterTheGrace() throws {
        let folder = try TemporaryDirectory()
        let started = ContinuousClock.now
        let error = try #require(throws: BuildError.self) {
            try TestsGate.run([Step(name: "stubborn", run: "trap '' TERM; sleep 30", timeout: 1)], in: folder.path)
        }
        #expect(error.code == .testFailed)
        #expect(ContinuousClock.now - started < .seconds(1 + ProcessGroup.termGraceSeconds + 5))
    }

    @Test func lotsOfOutputOnBothStreamsDoesNotDeadlock() throws {
        let folder = try TemporaryDirectory()
        // 2 MB on each stream, interleaved: far more than a pipe buffer.
        let record = try TestsGate.run(
            [Step(name: "noisy", run: "i=0; while [ $i -lt 20000 ]; do echo out-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; echo err-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >&2; i=$((i+1)); done",
                  timeout: 60)],
            in: folder.path)
        let text = String(decoding: record.log, as: UTF8.self)
        #expect(text.contains("out-19999-"))
        #expect(text.contains("err-19999-"))
        #expect(record.log.count > 4_000_000)
    }

    @Test func backgroundLeftoversAreStoppedWhenTheTestEnds() throws {
        let folder = try TemporaryDirectory()
        // The test exits at once but leaves a process holding the output pipe open.
        let started = ContinuousClock.now
        let record = try TestsGate.run([Step(name: "daemon", run: "sleep 30 & echo started")], in: folder.path)
        #expect(record.runs[0].exitStatus == 0)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func splitsLinesAcrossChunks() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Data("ab".utf8)) == [])
        #expect(splitter.feed(Data("c\r\nd\n\ne".utf8)) == ["abc", "d", ""])
        #expect(splitter.finish() == "e")
        #expect(splitter.finish() == nil)
    }
}
