import Foundation
import Manifest
import Synchronization
import TestSupport
import Testing
@testable import Builder

/// Test records: a tree that passed its tests is not tested again, so its bundle is the
/// same bytes; `--retest` runs them; a failure is never reused.
@Suite struct TestRecordsTests {
    /// A pipeline whose test appends a line to a file outside the repository (so the
    /// test can count runs) and prints the time (so a fresh run gives another log).
    struct Counted {
        let counter: TemporaryDirectory
        let fixture: PipelineFixture
        let build: LocalBuild

        init(_ extra: String = "") throws {
            counter = try TemporaryDirectory("ferry-runs")
            fixture = try PipelineFixture(tests: [
                PipelineFixture.Test("unit", "echo run >> \(counter.url("runs")); date +%s%N\(extra)")])
            build = try LocalBuild(fixture)
        }

        var runs: Int {
            ((try? String(contentsOfFile: counter.url("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        func build(out: String, retest: Bool = false, notes: Notes? = nil) throws -> BuildResult {
            var request = build.request(out: out)
            request.retest = retest
            return try ReleaseBuilder.build(request, progress: notes?.progress ?? .silent)
        }
    }

    /// Collects the notes a build prints.
    final class Notes: Sendable {
        let notes = Mutex<[String]>([])
        var all: [String] { notes.withLock { $0 } }
        var progress: BuildProgress { BuildProgress(note: { text in self.notes.withLock { $0.append(text) } }) }
    }

    @Test func aTreeThatPassedIsNotTestedAgainAndBuildsTheSameBytes() throws {
        let counted = try Counted()
        let first = try counted.build(out: "one")
        #expect(counted.runs == 1)
        let notes = Notes()
        let second = try counted.build(out: "two", notes: notes)
        #expect(counted.runs == 1, "the test ran again")
        #expect(second.bundle.bundleSha256 == first.bundle.bundleSha256)
        #expect(second.bundle.manifestBytes == first.bundle.manifestBytes)
        #expect(second.bundle.signature == first.bundle.signature)
        #expect(second.bundle.manifest.tests == first.bundle.manifest.tests)
        let tree = first.snapshot.commit.treeId
        let note = try #require(notes.all.first)
        #expect(note.hasPrefix("tests: unit passed (recorded "))
        #expect(note.hasSuffix(" for tree \(tree.prefix(12)); --retest runs it again)"))
    }

    @Test func retestRunsTheTestsAgainAndRecordsTheNewRun() throws {
        let counted = try Counted()
        let first = try counted.build(out: "one")
        let notes = Notes()
        let second = try counted.build(out: "two", retest: true, notes: notes)
        #expect(counted.runs == 2)
        #expect(notes.all.isEmpty)
        // The test prints the time: a fresh run writes another log, so another bundle.
        #expect(second.bundle.bundleSha256 != first.bundle.bundleSha256)
        // The next build reuses the newest record.
        let third = try counted.build(out: "three")
        #expect(counted.runs == 2)
        #expect(third.bundle.bundleSha256 == second.bundle.bundleSha256)
    }

    @Test func aFailingTestIsNeverReused() throws {
        let counted = try Counted("; exit 1")
        #expect(throws: BuildError.self) { try counted.build(out: "one") }
        #expect(throws: BuildError.self) { try counted.build(out: "two") }
        #expect(counted.runs == 2, "a failure was reused")
        #expect(try FileManager.default.contentsOfDirectory(atPath: counted.build.cache.folder + "/tests").isEmpty)
    }

    @Test func aTestThatFailedThenPassedRunsUntilItPasses() throws {
        let counted = try Counted()
        let flag = counted.counter.url("passes-now")
        try counted.fixture.commit("pipelines/webapp.yaml", PipelineFixture.definition(name: "webapp", tests: [
            PipelineFixture.Test("unit", "echo run >> \(counted.counter.url("runs")); test -f \(flag)")]))
        #expect(throws: BuildError.self) { try counted.build(out: "one") }
        try counted.counter.write("passes-now", "")
        _ = try counted.build(out: "two")
        #expect(counted.runs == 2)
        _ = try counted.build(out: "three")
        #expect(counted.runs == 2)
    }

    @Test func aRecordOfAFailureIsNotTakenForAPass() throws {
        let counted = try Counted()
        _ = try counted.build(out: "one")
        let folder = counted.build.cache.folder + "/tests"
        let file = folder + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first))
        var entry = try CanonicalJSON.decode(TestRecords.Entry.self, from: Data(contentsOf: URL(fileURLWithPath: file)),
                                             cap: TestRecords.cap, what: "a test record")
        entry.exitStatus = 1
        try CanonicalJSON.encode(entry).write(to: URL(fileURLWithPath: file))
        _ = try counted.build(out: "two")
        #expect(counted.runs == 2)
    }

    @Test func aNewTreeIsTestedAgain() throws {
        let counted = try Counted()
        _ = try counted.build(out: "one")
        try counted.fixture.commit("README.md", "tests may read anything in the repository\n")
        _ = try counted.build(out: "two")
        #expect(counted.runs == 2)
    }

    @Test func everyFieldOfATestIsPartOfItsKey() throws {
        typealias Step = PipelineDefinition.TestStep
        let folder = try TemporaryDirectory()
        let records = TestRecords(cache: try ArtifactCache(folder: folder.path), treeId: String(repeating: "a", count: 40))
        let base = Step(name: "unit", run: "make test", timeout: 60, environment: ["A": "1"])
        let variants = [
            Step(name: "unit2", run: "make test", timeout: 60, environment: ["A": "1"]),
            Step(name: "unit", run: "make tests", timeout: 60, environment: ["A": "1"]),
            Step(name: "unit", run: "make test", timeout: 61, environment: ["A": "1"]),
            Step(name: "unit", run: "make test", timeout: 60, environment: ["A": "2"]),
            Step(name: "unit", run: "make test", timeout: 60, environment: [:]),
            Step(name: "unit", run: "make test", timeout: 60, environment: ["A": "1", "B": ""]),
        ]
        let keys = Set(([base] + variants).map(records.key))
        #expect(keys.count == variants.count + 1)
        let otherTree = TestRecords(cache: records.cache, treeId: String(repeating: "b", count: 40))
        #expect(otherTree.key(base) != records.key(base))
        #expect(records.key(base) == records.key(Step(name: "unit", run: "make test", timeout: 60, environment: ["A": "1"])))
    }
}
