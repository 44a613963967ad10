import Foundation
@testable import Git
import TestSupport
import Testing

@Suite struct StatusTests {
    /// The `mtime` git records for `path` in the index (`git ls-files --debug`), in seconds.
    private func indexedMtime(_ fixture: GitFixture, _ path: String) throws -> Int {
        let debug = try fixture.git("ls-files", "--debug", path)
        let line = try #require(debug.split(separator: "\n").first { $0.contains("mtime:") })
        let seconds = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        return try #require(Int(seconds))
    }

    @Test func aStatusRefreshesTheIndexStatCacheAndStillReportsRealEdits() throws {
        let fixture = try GitFixture()
        try fixture.write("app/a.txt", "a\n")
        try fixture.write("app/b.txt", "b\n")
        try fixture.commitAll("one")
        // A copied or restored working tree: the same bytes, other stat data than the index's.
        let touched = Date(timeIntervalSince1970: 1_800_000_000)
        for name in ["app/a.txt", "app/b.txt"] {
            try FileManager.default.setAttributes([.modificationDate: touched], ofItemAtPath: fixture.path + "/" + name)
        }
        #expect(try indexedMtime(fixture, "app/a.txt") != 1_800_000_000)
        // A real edit of the same size, with the same new time.
        try fixture.write("app/b.txt", "B\n")
        try FileManager.default.setAttributes([.modificationDate: touched], ofItemAtPath: fixture.path + "/app/b.txt")

        let repository = try Repository.open(fixture.path)
        #expect(try repository.uncommittedPaths(under: ["app"]) == ["app/b.txt"])
        // The unchanged file's stat data are now the index's (read and hashed once, as
        // `git status` does); the edited one is not marked clean.
        #expect(try indexedMtime(fixture, "app/a.txt") == 1_800_000_000)
        #expect(try repository.uncommittedPaths(under: ["app"]) == ["app/b.txt"])
        #expect(try fixture.git("status", "--porcelain") == "M app/b.txt")
    }

    @Test func aLockedIndexIsReadWithoutRefreshingIt() throws {
        let fixture = try GitFixture()
        try fixture.write("a.txt", "a\n")
        try fixture.commitAll("one")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_800_000_000)],
                                              ofItemAtPath: fixture.path + "/a.txt")
        try fixture.write(".git/index.lock", "")  // another git is writing the index
        let repository = try Repository.open(fixture.path)
        #expect(try repository.uncommittedPaths(under: ["."]) == [])
        #expect(try indexedMtime(fixture, "a.txt") != 1_800_000_000)
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/index.lock"))
    }

    /// A copied working tree (every file's stat data new, `cp -a` or a container's COPY)
    /// is refreshed by hashing with the CPU's SHA instructions before libgit2's status
    /// runs; what differs from the index is still reported: an edit of the same size, a
    /// file made executable, a staged change.
    @Test func aCopiedTreeIsRefreshedAndItsRealChangesStillReported() throws {
        let fixture = try GitFixture()
        for index in 0..<40 { try fixture.write("app/f\(index).txt", "file \(index)\n") }
        var random = SystemRandomNumberGenerator()
        try fixture.write("app/big.bin", bytes: Data((0..<(3 << 20) + 17).map { _ in UInt8.random(in: 0...255, using: &random) }))
        try fixture.commitAll("forty files and one of 3 MiB (hashed in pieces)")
        let copied = Date(timeIntervalSince1970: 1_800_000_000)
        for name in (0..<40).map({ "app/f\($0).txt" }) + ["app/big.bin"] {
            try FileManager.default.setAttributes([.modificationDate: copied], ofItemAtPath: fixture.path + "/" + name)
        }
        try fixture.write("app/f1.txt", "FILE 1\n")  // same size
        try FileManager.default.setAttributes([.modificationDate: copied], ofItemAtPath: fixture.path + "/app/f1.txt")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path + "/app/f2.txt")
        try fixture.write("app/f3.txt", "staged\n")
        _ = try fixture.git("add", "app/f3.txt")
        try fixture.write("app/f3.txt", "file 3\n")  // back to the committed bytes, the index holds another blob
        try FileManager.default.setAttributes([.modificationDate: copied], ofItemAtPath: fixture.path + "/app/f3.txt")

        let repository = try Repository.open(fixture.path)
        // Ferry's own refresh: every copied file but the three that differ (the big one
        // hashed in 1 MiB pieces); then the index is fresh, and a second pass stops
        // after its sample.
        #expect(repository.handle.refreshStatCache(under: ["app"]) == 38)
        #expect(repository.handle.refreshStatCache(under: ["app"]) == 0)
        #expect(try repository.uncommittedPaths(under: ["app"]) == ["app/f1.txt", "app/f2.txt", "app/f3.txt"])
        for name in ["app/f0.txt", "app/f4.txt", "app/f39.txt", "app/big.bin"] {
            #expect(try indexedMtime(fixture, name) == 1_800_000_000)
        }
        #expect(try indexedMtime(fixture, "app/f1.txt") != 1_800_000_000)
        // git agrees: the working tree differs from the index in those three, the index from HEAD in one.
        #expect(try fixture.git("diff", "--name-only") == "app/f1.txt\napp/f2.txt\napp/f3.txt")
        #expect(try fixture.git("diff", "--cached", "--name-only") == "app/f3.txt")
    }
}
