import Foundation
import Git
import TestSupport
import Testing

private func mode(_ path: String) -> mode_t {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & 0o7777 : 0
}

private func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

@Suite struct ExportTests {
    @Test func exportsTheCommitNotTheWorkingTree() throws {
        let fixture = try GitFixture()
        try fixture.write("app/handler.py", "print('committed')\n")
        try fixture.write("app/run.sh", "#!/bin/sh\n")
        try fixture.git("add", "-A")
        try fixture.git("update-index", "--chmod=+x", "app/run.sh")
        try fixture.git("commit", "-q", "-m", "one")
        // Uncommitted: an edit, a new file, a deleted file.
        try fixture.write("app/handler.py", "print('edited')\n")
        try fixture.write("untracked.txt", "x")
        try FileManager.default.removeItem(atPath: fixture.path + "/app/run.sh")

        let repository = try Repository.open(fixture.path)
        let commit = try repository.resolve("HEAD")
        let out = try TemporaryDirectory()
        let target = out.path + "/export/nested"
        let summary = try repository.exportTree(commit: commit, to: target)

        #expect(contents(target + "/app/handler.py") == "print('committed')\n")
        #expect(!FileManager.default.fileExists(atPath: target + "/untracked.txt"))
        #expect(mode(target + "/app/run.sh") == 0o755)
        #expect(mode(target + "/app/handler.py") == 0o644)
        #expect(summary.files == [
            ExportedFile(path: "app/handler.py", size: 19, executable: false),
            ExportedFile(path: "app/run.sh", size: 10, executable: true),
        ])
        #expect(summary.totalBytes == 29)
        #expect(summary.treeId == commit.treeId)
    }

    @Test func exportsASubfolderAsTheRoot() throws {
        let fixture = try GitFixture()
        try fixture.write("services/api/src/main.js", "main\n")
        try fixture.write("services/api/package.json", "{}\n")
        try fixture.write("other/file", "no\n")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let commit = try repository.resolve("HEAD")
        let out = try TemporaryDirectory()
        let summary = try repository.exportTree(commit: commit, subpath: "./services/api/", to: out.path + "/api")
        #expect(summary.files.map(\.path) == ["package.json", "src/main.js"])
        #expect(contents(out.path + "/api/src/main.js") == "main\n")
        #expect(summary.treeId == (try repository.treeId(commit: commit, path: "services/api")))

        let missing = try #require(throws: GitError.self) {
            try repository.exportTree(commit: commit, subpath: "services/nope", to: out.path + "/nope")
        }
        #expect(missing.code == .pathNotFound)
        #expect(!FileManager.default.fileExists(atPath: out.path + "/nope"))
    }

    @Test func submoduleIsAClearErrorAndLeavesNothing() throws {
        let fixture = try GitFixture()
        try fixture.write("app/main.py", "x\n")
        let first = try fixture.commitAll("one")
        // A gitlink entry, as `git submodule add` makes, without any network.
        try fixture.git("update-index", "--add", "--cacheinfo", "160000,\(first),app/vendor/lib")
        try fixture.git("commit", "-q", "-m", "add submodule")
        let repository = try Repository.open(fixture.path)
        let out = try TemporaryDirectory()
        let error = try #require(throws: GitError.self) {
            try repository.exportTree(commit: try repository.resolve("HEAD"), to: out.path + "/export")
        }
        #expect(error.code == .submodule)
        #expect(error.message.contains("app/vendor/lib"))
        #expect(error.message.contains("submodules are not supported"))
        #expect(!FileManager.default.fileExists(atPath: out.path + "/export"))
    }

    @Test func symlinkIsRefused() throws {
        let fixture = try GitFixture()
        try fixture.write("app/real.txt", "x\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/app/link", withDestinationPath: "../../etc/passwd")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let out = try TemporaryDirectory()
        let error = try #require(throws: GitError.self) {
            try repository.exportTree(commit: try repository.resolve("HEAD"), subpath: "app", to: out.path + "/export")
        }
        #expect(error.code == .symlink)
        #expect(error.message.contains("app/link"))
        #expect(!FileManager.default.fileExists(atPath: out.path + "/export"))
    }

    @Test func existingDestinationIsRefused() throws {
        let fixture = try GitFixture()
        try fixture.write("a", "a")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let out = try TemporaryDirectory()
        try out.write("export/keep.txt", "mine")
        let error = try #require(throws: GitError.self) {
            try repository.exportTree(commit: try repository.resolve("HEAD"), to: out.path + "/export")
        }
        #expect(error.code == .destinationExists)
        #expect(contents(out.path + "/export/keep.txt") == "mine")
    }

    @Test func exportsBinaryBytesExactly() throws {
        let fixture = try GitFixture()
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
        try fixture.write("blob.bin", bytes: bytes)
        try fixture.write("empty", "")
        try fixture.commitAll("one")
        let repository = try Repository.open(fixture.path)
        let out = try TemporaryDirectory()
        let summary = try repository.exportTree(commit: try repository.resolve("HEAD"), to: out.path + "/e")
        #expect(FileManager.default.contents(atPath: out.path + "/e/blob.bin") == bytes)
        #expect(FileManager.default.contents(atPath: out.path + "/e/empty") == Data())
        #expect(summary.files.map(\.size) == [300_000, 0])
    }
}

@Suite struct TreeIdTests {
    @Test func treeIdIsStableForAnUnchangedFolderAndChangesWithIt() throws {
        let fixture = try GitFixture()
        try fixture.write("lambda/a/handler.py", "v1\n")
        try fixture.write("lambda/b/handler.py", "b\n")
        try fixture.commitAll("one")
        try fixture.write("README.md", "unrelated change\n")
        try fixture.commitAll("two")
        try fixture.write("lambda/a/handler.py", "v2\n")
        try fixture.commitAll("three")
        let repository = try Repository.open(fixture.path)
        let (one, two, three) = (try repository.resolve("HEAD~2"), try repository.resolve("HEAD~1"), try repository.resolve("HEAD"))

        let a1 = try #require(try repository.treeId(commit: one, path: "lambda/a"))
        #expect(try repository.treeId(commit: two, path: "lambda/a") == a1)
        #expect(try repository.treeId(commit: three, path: "lambda/a") != a1)
        #expect(try repository.treeId(commit: three, path: "lambda/b") == (try repository.treeId(commit: one, path: "lambda/b")))
        #expect(a1 == (try fixture.git("rev-parse", "HEAD~2:lambda/a")))
        #expect(try repository.treeId(commit: one, path: "") == one.treeId)
        #expect(try repository.treeId(commit: one, path: ".") == one.treeId)
        #expect(try repository.treeId(commit: one, path: "lambda/missing") == nil)
        #expect(try repository.treeId(commit: one, path: "lambda/a/handler.py") == nil)
    }
}
