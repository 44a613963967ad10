import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM during `ferry release` (issue 13): the test ferry runs is stopped
/// with its process group, the temporary export is removed, and ferry says what state
/// the release is in. A mistyped --channel fails before anything runs.
@Suite struct InterruptCLITests {
    static func waitUntil(_ condition: () -> Bool) {
        for _ in 0..<300 where !condition() { Thread.sleep(forTimeInterval: 0.1) }
    }

    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie (exited, not yet reaped by init) counts as gone.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedReleaseStopsItsTestAndLeavesNoTemporaryFiles(signal: Int32) throws {
        let files = try TemporaryDirectory()
        let pidFile = files.url("test.pid")
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("slow", "echo $$ > \(pidFile); exec sleep 300")])
        let moto = try MotoPipeline(fixture)
        let (key, _) = try BuilderCLITests.keyFiles(in: files)
        let release = try FerryProcess.start(
            ["release", "webapp", "1.0.0", "--key", key, "--repo", fixture.path, "--cache-dir", files.url("cache"),
             "--bucket", moto.bucket.name, "--endpoint-url", try TestEnvironment.motoEndpoint(), "--region", "us-east-1"])
        Self.waitUntil { FileManager.default.fileExists(atPath: pidFile) && ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") }
        let testPid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.alive(testPid))
        kill(release.pid, signal)
        let run = try release.wait()
        #expect(run.status == 128 + signal, "\(run.stderr)")
        #expect(run.stderr.contains("ferry: interrupted (\(signal == SIGINT ? "SIGINT" : "SIGTERM")); stopped the "
            + "running test (1 process group(s)); removed its temporary files. nothing was tagged or published"),
                "\(run.stderr)")
        Self.waitUntil { !Self.alive(testPid) }
        #expect(!Self.alive(testPid), "the test's process outlived ferry")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: files.url("cache/tmp"))) ?? []
        #expect(leftovers.isEmpty, "left in the cache's tmp/: \(leftovers)")
        #expect(try moto.tags().isEmpty && moto.keys().isEmpty)
    }

    @Test func aChannelTheDefinitionDoesNotDeclareFailsBeforeTheTests() throws {
        let files = try TemporaryDirectory()
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "touch \(files.url("ran"))")])
        let moto = try MotoPipeline(fixture)
        let (key, pub) = try BuilderCLITests.keyFiles(in: files)
        let run = try FerryProcess.run(
            ["release", "webapp", "1.0.0", "--channel", "canery", "--key", key, "--trust", pub + "=builder,release",
             "--repo", fixture.path, "--cache-dir", files.url("cache"), "--bucket", moto.bucket.name,
             "--endpoint-url", try TestEnvironment.motoEndpoint(), "--region", "us-east-1"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("channel canery is not a channel of webapp (did you mean 'canary'?): the pipeline "
            + "definition declares canary, stable"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.url("ran")), "the tests ran")
        #expect(try moto.tags().isEmpty && moto.keys().isEmpty)
    }
}
