import Foundation
import Git
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
}
