import Basics
import Bucket
import Foundation
import MemoryStore
import TestSupport
import Testing
@testable import Builder

/// `ferry release` HEADs the last release's artifacts while it builds
/// (`ArtifactUploader.prefetch`): what it found is not looked at again, what it did not
/// find (or did not guess) is checked and uploaded as before.
@Suite struct ArtifactPrefetchTests {
    let directory = try! TemporaryDirectory("ferry-prefetch")

    func entry(_ text: String, in cache: ArtifactCache) throws -> BuildFolder.Artifacts.Entry {
        let object = try cache.store(Data(text.utf8))
        return BuildFolder.Artifacts.Entry(key: "ferry/artifacts/\(object.sha256).zip", sha256: object.sha256,
                                           size: object.size, file: cache.path(of: object.sha256))
    }

    @Test func aKeyFoundAheadIsNotHeadedAgainAndAMissingOneIsUploaded() throws {
        let store = MemoryStore()
        let bucket = ReleaseFixture.makeBucket(store)
        let cache = try ArtifactCache(folder: directory.url("cache"))
        let there = try entry("there", in: cache)
        let missing = try entry("missing", in: cache)
        let unguessed = try entry("unguessed", in: cache)
        try bucket.put(key: there.key, data: Data("there".utf8))
        store.resetCounts()

        let uploader = ArtifactUploader(bucket: bucket)
        uploader.prefetch([there.key, missing.key, "ferry/artifacts/gone.zip"])
        for artifact in [there, missing, unguessed] { uploader.submit(MadeArtifact(entry: artifact, bytes: .cached)) }
        let outcomes = try uploader.finish()
        #expect(outcomes == [there.key: false, missing.key: true, unguessed.key: true])
        // Three HEADs ahead; the missing key and the unguessed one are checked again before
        // their upload; the one found is not.
        #expect(store.requestCounts()[.head] == 5)
        #expect(store.requestCounts()[.put] == 2)
        #expect(try bucket.exists(key: missing.key) && bucket.exists(key: unguessed.key))
    }

    @Test func theLastReleasesKeysAreKeptPerBucketAndPipelineAndOddFilesGiveNone() throws {
        let cache = try ArtifactCache(folder: directory.url("cache"))
        #expect(cache.lastArtifacts(bucket: "b", pipeline: "webapp").isEmpty)
        cache.keepLastArtifacts(["ferry/artifacts/2.zip", "ferry/artifacts/1.zip"], bucket: "b", pipeline: "webapp")
        #expect(cache.lastArtifacts(bucket: "b", pipeline: "webapp") == ["ferry/artifacts/1.zip", "ferry/artifacts/2.zip"])
        #expect(cache.lastArtifacts(bucket: "other", pipeline: "webapp").isEmpty)
        #expect(cache.lastArtifacts(bucket: "b", pipeline: "api").isEmpty)
        // A damaged list is no list.
        let marks = try FileManager.default.contentsOfDirectory(atPath: directory.url("cache") + "/marks")
        let file = directory.url("cache") + "/marks/" + (try #require(marks.first))
        try Data("ferry/artifacts/1.zip\nnot a key\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(cache.lastArtifacts(bucket: "b", pipeline: "webapp").isEmpty)
    }
}
