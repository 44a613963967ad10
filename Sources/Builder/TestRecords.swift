import Basics
import Foundation
import Manifest

/// The version of Ferry, shown by `ferry --version` and part of every test record's key.
public enum FerryVersion {
    public static let current = "0.1.0"
}

/// Passing test records in the artifact cache, `tests/<key>`, as build systems with test
/// caching keep them (Bazel): a test's exit status, duration and output are determined
/// by the commit's tree (a test may read anything in the repository), the test's name,
/// command, `env` and timeout, and the Ferry version. The key is the SHA-256 of those.
///
/// A build whose tests all have a passing record for its tree runs none of them and
/// writes the recorded runs and log: the same commit gives the same `tests.log` and
/// durations, so the same bundle bytes. If any test lacks a record, all of them run (they
/// share one folder, in order: a later test may read what an earlier one wrote). Only a
/// pass is recorded; a failure is never reused. `--retest` runs them regardless.
struct TestRecords {
    /// A recorded pass.
    struct Entry: Codable, Equatable {
        var ferryVersion: String
        var treeId: String
        var name: String
        var command: String
        var environment: [String: String]
        var timeout: Int
        var exitStatus: Int
        var durationMs: Int
        /// When the test ran (`Timestamp.format`).
        var recordedAt: String
        /// The test's section of `tests.log`.
        var log: Data

        var run: Manifest.TestRun { Manifest.TestRun(name: name, command: command, exitStatus: exitStatus, durationMs: durationMs) }
    }

    /// Records larger than this are not read back (the tests run again).
    static let cap = 64 << 20

    let cache: ArtifactCache
    let treeId: String

    /// The record's file name: SHA-256 of everything that determines the test's outcome.
    func key(_ test: PipelineDefinition.TestStep) -> String {
        var hasher = SHA256Hasher()
        let fields = [FerryVersion.current, treeId, test.name, test.run, String(test.timeout)]
            + test.environment.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        for field in fields {
            // Length-prefixed, so that no two lists of fields give the same bytes.
            hasher.update(Data("\(field.utf8.count):\(field);".utf8))
        }
        return hasher.finalizeHex()
    }

    /// The passing record of every test, or nil if any test has none (or an unreadable one).
    func passes(of tests: [PipelineDefinition.TestStep]) -> [Entry]? {
        var entries: [Entry] = []
        for test in tests {
            guard let entry = pass(of: test) else { return nil }
            entries.append(entry)
        }
        return entries
    }

    /// The passing record of `test` for this tree, if one is here and matches it.
    func pass(of test: PipelineDefinition.TestStep) -> Entry? {
        guard let handle = FileHandle(forReadingAtPath: file(test)) else { return nil }
        defer { try? handle.close() }
        guard let bytes = try? handle.read(upToCount: Self.cap + 1), bytes.count <= Self.cap,
              let entry = try? CanonicalJSON.decode(Entry.self, from: bytes, cap: Self.cap, what: "a test record")
        else { return nil }
        let matches = entry.exitStatus == 0 && entry.ferryVersion == FerryVersion.current && entry.treeId == treeId
            && entry.name == test.name && entry.command == test.run && entry.environment == test.environment
            && entry.timeout == test.timeout
        return matches ? entry : nil
    }

    /// Records that `test` passed with `run`, writing `log`. Anything but a pass is ignored.
    func keep(_ test: PipelineDefinition.TestStep, run: Manifest.TestRun, log: Data, now: Date) throws(BuildError) {
        guard run.exitStatus == 0 else { return }
        let entry = Entry(ferryVersion: FerryVersion.current, treeId: treeId, name: test.name, command: test.run,
                          environment: test.environment, timeout: test.timeout, exitStatus: run.exitStatus,
                          durationMs: run.durationMs, recordedAt: Timestamp.format(now), log: log)
        let bytes: Data
        do {
            bytes = try CanonicalJSON.encode(entry)
        } catch {
            throw BuildError(error, doing: "recording test '\(test.name)' in \(cache.folder)")
        }
        try cache.writeAtomically(bytes, to: file(test))
    }

    private func file(_ test: PipelineDefinition.TestStep) -> String { cache.folder + "/tests/" + key(test) }
}
