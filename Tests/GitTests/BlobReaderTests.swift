import Foundation
import Git
import TestSupport
import Testing

@Suite struct BlobReaderTests {
    /// A repository with two committed files, and their blob ids.
    private func committed() throws -> (GitFixture, Repository, [String: String]) {
        let fixture = try GitFixture()
        try fixture.write("src/a.py", "print('a')\n")
        try fixture.write("src/b.py", "print('b')\n")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let entries = try repository.listTree(commit: try repository.resolve("HEAD"), path: "src")
        return (fixture, repository, Dictionary(uniqueKeysWithValues: entries.map { ("src/" + $0.path, $0.id) }))
    }

    private func read(_ reader: BlobReader, _ ids: [String: String], _ path: String) throws -> String {
        try reader.withBlob(try #require(ids[path]), at: path) { String(decoding: $0, as: UTF8.self) }
    }

    @Test func theBlobIdIsGits() throws {
        let (fixture, _, ids) = try committed()
        let id = Array("print('a')\n".utf8).withUnsafeBytes { BlobReader.blobId(of: $0) }
        #expect(id == ids["src/a.py"])
        #expect(id == (try fixture.git("hash-object", "src/a.py")))
    }

    @Test func aCleanFileIsReadFromTheWorkingTreeAndAnyOtherFromGit() throws {
        let (fixture, repository, ids) = try committed()
        let clean = BlobReader(repository: repository, workingTree: true)
        #expect(try read(clean, ids, "src/a.py") == "print('a')\n")
        #expect(clean.fromWorkingTree == 1 && clean.fromObjects == 0)

        // Edited (same size), replaced by a link to an identical file, removed: the
        // commit's bytes, from git.
        try fixture.write("src/a.py", "print('A')\n")
        try fixture.write("elsewhere.py", "print('b')\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/src/b.py")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/src/b.py",
                                                   withDestinationPath: fixture.path + "/elsewhere.py")
        let edited = BlobReader(repository: repository, workingTree: true)
        #expect(try read(edited, ids, "src/a.py") == "print('a')\n")
        #expect(try read(edited, ids, "src/b.py") == "print('b')\n")
        try FileManager.default.removeItem(atPath: fixture.path + "/src/b.py")
        #expect(try read(edited, ids, "src/b.py") == "print('b')\n")
        // A FIFO with no writer: not waited on.
        #expect(mkfifo(fixture.path + "/src/b.py", 0o644) == 0)
        #expect(try read(edited, ids, "src/b.py") == "print('b')\n")
        #expect(edited.fromWorkingTree == 0 && edited.fromObjects == 4)

        // Not asked to: always git.
        try fixture.write("src/a.py", "print('a')\n")
        let objects = BlobReader(repository: repository, workingTree: false)
        #expect(try read(objects, ids, "src/a.py") == "print('a')\n")
        #expect(objects.fromWorkingTree == 0 && objects.fromObjects == 1)
    }

    @Test func aLargeFileGrowsTheBuffer() throws {
        let fixture = try GitFixture()
        let big = String(repeating: "0123456789abcdef", count: 20_000)  // 320 kB, above the first buffer
        try fixture.write("big.txt", big)
        try fixture.write("small.txt", "s\n")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let ids = Dictionary(uniqueKeysWithValues: try repository.listTree(commit: try repository.resolve("HEAD"))
            .map { ($0.path, $0.id) })
        let reader = BlobReader(repository: repository, workingTree: true)
        #expect(try read(reader, ids, "small.txt") == "s\n")
        #expect(try read(reader, ids, "big.txt") == big)
        #expect(try read(reader, ids, "small.txt") == "s\n")
        #expect(reader.fromWorkingTree == 3)
    }
}
