import Foundation
import Git
import Manifest
import TestSupport
import Testing
@testable import Builder

/// Which commit, version, tag, author and subject a build records.
@Suite struct SourceSnapshotTests {
    @Test func anUntaggedCommitBuildsAsZeroWithTheCommitId() throws {
        let fixture = try PipelineFixture()
        let repository = try Repository.open(fixture.path)
        let snapshot = try SourceSnapshot.resolve("HEAD", in: repository)
        let id = try fixture.git.git("rev-parse", "HEAD")
        #expect(snapshot.commit.id == id)
        #expect(snapshot.version.description == "0.0.0-g" + id.prefix(12))
        #expect(snapshot.tagName == nil)
        #expect(snapshot.author == "Fixture Person <fixture@example.com>")
        #expect(snapshot.subject == "First release of webapp")
    }

    @Test func anAnnotatedTagGivesVersionTaggerAndTagSubject() throws {
        let fixture = try PipelineFixture()
        try fixture.git.git("config", "user.name", "Tag Person")
        try fixture.git.git("tag", "-a", "v1.4.2", "-m", "Ingest the new feed\n\nMore words.")
        let repository = try Repository.open(fixture.path)
        for ref in ["v1.4.2", "refs/tags/v1.4.2", "HEAD", "main", try fixture.git.git("rev-parse", "HEAD")] {
            let snapshot = try SourceSnapshot.resolve(ref, in: repository)
            #expect(snapshot.version.description == "1.4.2", "ref \(ref)")
            #expect(snapshot.tagName == "v1.4.2")
            #expect(snapshot.author == "Tag Person <fixture@example.com>")
            #expect(snapshot.subject == "Ingest the new feed")
        }
    }

    @Test func aLightweightTagKeepsTheCommitsAuthorAndSubject() throws {
        let fixture = try PipelineFixture()
        try fixture.git.git("tag", "2.0.0-rc.1")
        let snapshot = try SourceSnapshot.resolve("HEAD", in: try Repository.open(fixture.path))
        #expect(snapshot.version.description == "2.0.0-rc.1")
        #expect(snapshot.tagName == "2.0.0-rc.1")
        #expect(snapshot.author == "Fixture Person <fixture@example.com>")
        #expect(snapshot.subject == "First release of webapp")
    }

    @Test func theHighestVersionTagWinsAndOtherTagsAreIgnored() throws {
        let fixture = try PipelineFixture()
        for tag in ["v1.9.0", "v1.10.0", "nightly", "v1.10.0-rc.1"] { try fixture.git.git("tag", tag) }
        let repository = try Repository.open(fixture.path)
        #expect(try SourceSnapshot.resolve("HEAD", in: repository).version.description == "1.10.0")
        // A version tag named as the ref is the one built.
        #expect(try SourceSnapshot.resolve("v1.9.0", in: repository).version.description == "1.9.0")
    }

    @Test func aPlannedTagIsRecordedAsIfItExistedAndRefusedOnAnotherCommit() throws {
        let fixture = try PipelineFixture()
        let repository = try Repository.open(fixture.path)
        let tagger = Signature(name: "Bot", email: "bot@example.com", time: GitTime(secondsSinceEpoch: 1_800_000_000))
        let planned = PlannedTag(version: try SemVer("1.2.0+build.7"), tagger: tagger, message: "Release 1.2.0\nbody")
        let snapshot = try SourceSnapshot.resolve("HEAD", in: repository, planned: planned)
        #expect(snapshot.tagName == "v1.2.0+build.7")
        #expect(snapshot.version.description == "1.2.0+build.7")
        #expect(snapshot.author == "Bot <bot@example.com>")
        #expect(snapshot.subject == "Release 1.2.0")

        try fixture.git.git("tag", "v1.2.0+build.7")
        try fixture.commit("app/extra.txt", "x\n")
        let error = try #require(throws: BuildError.self) {
            try SourceSnapshot.resolve("HEAD", in: repository, planned: planned)
        }
        #expect(error.code == .tag)
        #expect(error.message.contains("already exists on commit"))
    }

    @Test func anUnknownRefSaysSo() throws {
        let fixture = try PipelineFixture()
        let error = try #require(throws: BuildError.self) {
            try SourceSnapshot.resolve("v9.9.9", in: try Repository.open(fixture.path))
        }
        #expect(error.code == .source)
        #expect(error.message.contains("resolving 'v9.9.9'"))
    }
}
