import Foundation
import Git
import TestSupport
import Testing

/// A repository with two commits: `v1` (annotated) and `light` (lightweight) on the
/// first, `main` and `v2` (annotated) on the second.
private func twoCommits() throws -> (fixture: GitFixture, first: String, second: String) {
    let fixture = try GitFixture()
    try fixture.write("README.md", "one\n")
    let first = try fixture.commitAll("First commit\n\nWith a body.", date: 1_700_000_000)
    try fixture.git("tag", "-a", "v1", "-m", "Version one", date: 1_700_000_100)
    try fixture.git("tag", "light")
    try fixture.write("README.md", "two\n")
    let second = try fixture.commitAll("Second commit", date: 1_700_003_600)
    try fixture.git("tag", "-a", "v2", "-m", "Version two")
    return (fixture, first, second)
}

@Suite struct ResolveTests {
    @Test(arguments: [
        ("v1", 0), ("refs/tags/v1", 0), ("light", 0), ("refs/tags/light", 0),
        ("v2", 1), ("main", 1), ("refs/heads/main", 1), ("HEAD", 1),
    ])
    func resolvesNames(name: String, commitIndex: Int) throws {
        let (fixture, first, second) = try twoCommits()
        let repository = try Repository.open(fixture.path)
        #expect(try repository.resolve(name).id == [first, second][commitIndex])
    }

    @Test func resolvesFullAndAbbreviatedIds() throws {
        let (fixture, first, _) = try twoCommits()
        let repository = try Repository.open(fixture.path)
        #expect(try repository.resolve(first).id == first)
        #expect(try repository.resolve(String(first.prefix(7))).id == first)
    }

    @Test func copiesCommitFields() throws {
        let (fixture, first, _) = try twoCommits()
        let commit = try Repository.open(fixture.path).resolve("v1")
        #expect(commit.id == first)
        #expect(commit.treeId == (try fixture.git("rev-parse", "\(first)^{tree}")))
        #expect(commit.author.name == "Fixture Person")
        #expect(commit.author.email == "fixture@example.com")
        #expect(commit.committer.time == GitTime(secondsSinceEpoch: 1_700_000_000, offsetMinutes: 60))
        #expect(commit.time.description == "1700000000 +0100")
        #expect(commit.subject == "First commit")
        #expect(commit.message == "First commit\n\nWith a body.\n")
    }

    @Test func unknownNameIsAClearError() throws {
        let (fixture, _, _) = try twoCommits()
        let repository = try Repository.open(fixture.path)
        for name in ["v9", "no/such/branch", "0000000000000000000000000000000000000000", ""] {
            let error = try #require(throws: GitError.self) { try repository.resolve(name) }
            #expect(error.code == .refNotFound, "\(name)")
            #expect(error.description.contains("no tag, branch or commit") || name.isEmpty, "\(error)")
        }
    }

    @Test func opensFromASubfolderAndReportsPaths() throws {
        let (fixture, _, _) = try twoCommits()
        try fixture.write("deep/inside/file.txt", "x")
        let repository = try Repository.open(fixture.path + "/deep/inside")
        let root = URL(fileURLWithPath: fixture.path).resolvingSymlinksInPath().path
        #expect(repository.workdir.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path } == root)
        #expect(URL(fileURLWithPath: repository.path).resolvingSymlinksInPath().path == root + "/.git")
    }

    @Test func openOutsideARepositoryFails() throws {
        let empty = try TemporaryDirectory()
        let error = try #require(throws: GitError.self) { try Repository.open(empty.path) }
        #expect(error.code == .repositoryNotFound)
        #expect(error.function == "git_repository_open_ext")
    }

    @Test func clonesALocalRepositoryBare() throws {
        let (fixture, first, second) = try twoCommits()
        let target = try TemporaryDirectory()
        let clone = try Repository.clone(url: fixture.path, to: target.path + "/clone.git", bare: true)
        #expect(clone.workdir == nil)
        #expect(try clone.resolve("v1").id == first)
        #expect(try clone.resolve("main").id == second)
        let worktree = try Repository.clone(url: "file://" + fixture.path, to: target.path + "/work")
        #expect(FileManager.default.fileExists(atPath: target.path + "/work/README.md"))
        #expect(try worktree.resolve("HEAD").id == second)
    }

    @Test func cloneOfAMissingSourceFails() throws {
        let target = try TemporaryDirectory()
        let error = try #require(throws: GitError.self) {
            try Repository.clone(url: target.path + "/nothing-here", to: target.path + "/clone")
        }
        #expect(error.code == .cloneFailed)
        #expect(error.function == "git_clone")
        #expect(error.cause != nil)
    }
}
