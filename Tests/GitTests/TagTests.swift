import Foundation
import Git
import TestSupport
import Testing

private let releaser = Signature(name: "Release Bot", email: "bot@example.com",
                                 time: GitTime(secondsSinceEpoch: 1_700_100_000, offsetMinutes: -300))

private func repositoryWithTwoCommits() throws -> (GitFixture, Repository, Commit, Commit) {
    let fixture = try GitFixture()
    try fixture.write("a.txt", "a\n")
    try fixture.commitAll("one")
    try fixture.write("a.txt", "b\n")
    try fixture.commitAll("two", date: 1_700_000_500)
    let repository = try Repository.open(fixture.path)
    return (fixture, repository, try repository.resolve("HEAD~1"), try repository.resolve("HEAD"))
}

@Suite struct TagTests {
    @Test func readsAnnotatedAndLightweightTags() throws {
        let (fixture, repository, first, _) = try repositoryWithTwoCommits()
        try fixture.git("tag", "-a", "v1.0.0", "-m", "Release one", "HEAD~1", date: 1_700_000_900)
        try fixture.git("tag", "plain", "HEAD~1")
        let annotated = try #require(try repository.tag(named: "refs/tags/v1.0.0"))
        #expect(annotated == TagInfo(name: "v1.0.0", targetCommit: first.id, annotated: true,
                                     tagger: Signature(name: "Fixture Person", email: "fixture@example.com",
                                                       time: GitTime(secondsSinceEpoch: 1_700_000_900, offsetMinutes: 60)),
                                     message: "Release one\n"))
        let light = try #require(try repository.tag(named: "plain"))
        #expect(light == TagInfo(name: "plain", targetCommit: first.id, annotated: false, tagger: nil, message: nil))
        #expect(try repository.tag(named: "missing") == nil)
        #expect(try repository.tags(pointingAt: first).map(\.name) == ["plain", "v1.0.0"])
    }

    @Test func createsAnAnnotatedTagThatGitReads() throws {
        let (fixture, repository, first, _) = try repositoryWithTwoCommits()
        let tag = try repository.createAnnotatedTag(name: "v2.0.0", commit: first, message: "Release two", tagger: releaser)
        #expect(tag == TagInfo(name: "v2.0.0", targetCommit: first.id, annotated: true, tagger: releaser,
                               message: "Release two\n"))
        // git itself sees an annotated tag on that commit, with the newline-terminated message.
        #expect(try fixture.git("cat-file", "-t", "v2.0.0") == "tag")
        #expect(try fixture.git("rev-parse", "v2.0.0^{commit}") == first.id)
        let raw = try fixture.git("cat-file", "tag", "v2.0.0")
        #expect(raw.hasSuffix("\n\nRelease two"))  // trimmed by the fixture: the body is "Release two\n"
        #expect(raw.contains("tagger Release Bot <bot@example.com> 1700100000 -0500"))
    }

    @Test func sameTagOnSameCommitIsANoOp() throws {
        let (fixture, repository, first, _) = try repositoryWithTwoCommits()
        let created = try repository.createAnnotatedTag(name: "v1", commit: first, message: "m", tagger: releaser)
        let objectBefore = try fixture.git("rev-parse", "refs/tags/v1")
        let again = try repository.createAnnotatedTag(name: "v1", commit: first, message: "other message",
                                                      tagger: Signature(name: "X", email: "x@y", time: GitTime(secondsSinceEpoch: 5)))
        #expect(again == created)
        #expect(try fixture.git("rev-parse", "refs/tags/v1") == objectBefore)
    }

    @Test func tagOnAnotherCommitIsRefused() throws {
        let (fixture, repository, first, second) = try repositoryWithTwoCommits()
        try repository.createAnnotatedTag(name: "v1", commit: first, message: "m", tagger: releaser)
        let error = try #require(throws: GitError.self) {
            try repository.createAnnotatedTag(name: "refs/tags/v1", commit: second, message: "m", tagger: releaser)
        }
        #expect(error.code == .tagExists)
        #expect(error.message.contains(first.id) && error.message.contains(second.id))
        #expect(try fixture.git("rev-parse", "v1^{commit}") == first.id)
        // A lightweight tag made by git counts too.
        try fixture.git("tag", "light", first.id)
        #expect(throws: GitError.self) {
            try repository.createAnnotatedTag(name: "light", commit: second, message: "m", tagger: releaser)
        }
    }

    @Test func defaultTaggerComesFromTheRepositoryConfig() throws {
        let (fixture, repository, first, _) = try repositoryWithTwoCommits()
        defer { withExtendedLifetime(fixture) {} }  // the fixture's folder must outlive the repository
        let before = Int64(Date().timeIntervalSince1970)
        let tag = try repository.createAnnotatedTag(name: "v3", commit: first, message: "m\n")
        let tagger = try #require(tag.tagger)
        #expect(tagger.name == "Fixture Person" && tagger.email == "fixture@example.com")
        #expect(tagger.time.secondsSinceEpoch >= before)
        #expect(tag.message == "m\n")
    }

    @Test func invalidNameIsRefused() throws {
        let (fixture, repository, first, _) = try repositoryWithTwoCommits()
        defer { withExtendedLifetime(fixture) {} }  // the fixture's folder must outlive the repository
        for name in ["has space", "a..b", "bad~1", "x.lock", ""] {
            let error = try #require(throws: GitError.self) {
                try repository.createAnnotatedTag(name: name, commit: first, message: "m", tagger: releaser)
            }
            #expect(error.code == .invalidTagName, "\(name)")
        }
    }
}
