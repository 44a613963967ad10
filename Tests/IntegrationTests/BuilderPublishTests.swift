import AWS
import Basics
import Bucket
import Builder
import Foundation
import HTTP
import Manifest
import Synchronization
import TestSupport
import Testing

/// `ferry publish` against moto: write order, write-once, the cost of a re-release,
/// and two publishers racing for one channel.
@Suite struct BuilderPublishTests {
    @Test func publishingTheSameBytesAgainIsANoOp() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let built = try moto.build(out: "one")
        let first = try moto.publish(built.folder)
        #expect(first.uploaded.count == 3 && first.present.isEmpty)
        #expect(first.written.count == 3 && first.alreadyThere.isEmpty)
        #expect(first.pointer?.pointer.serial == 1)
        let version = built.bundle.manifest.version.description
        #expect(try moto.keys() == (built.bundle.manifest.artifacts.map(\.key) + [
            "ferry/channels/webapp/canary.json",
            "ferry/releases/webapp/\(version)/bundle.zip",
            "ferry/releases/webapp/\(version)/manifest.json",
            "ferry/releases/webapp/\(version)/manifest.sig",
        ]).sorted())

        let again = try moto.publish(built.folder)
        #expect(again.uploaded.isEmpty && again.present.count == 3)
        #expect(again.written.isEmpty && again.alreadyThere.count == 3)
        guard case .unchanged(let pointer)? = again.pointer else {
            Issue.record("the channel moved again: \(String(describing: again.pointer))")
            return
        }
        #expect(pointer.serial == 1)
        // Nothing was rewritten: every object has exactly one version.
        for key in try moto.keys() { #expect(try moto.bucket.versions(of: key).count == 1, "\(key)") }
    }

    @Test func differentBytesUnderAPublishedVersionAreRefused() throws {
        let fixture = try PipelineFixture()
        let moto = try MotoPipeline(fixture)
        try fixture.git.git("tag", "v1.0.0")
        let original = try moto.build(ref: "v1.0.0", out: "original")
        _ = try moto.publish(original.folder)
        // Someone moves the tag to a new commit and builds "1.0.0" again: other bytes.
        try fixture.commit("app/src/worker/worker.py", "def work(event, context):\n    return 'changed'\n")
        try fixture.git.git("tag", "-f", "v1.0.0")
        let impostor = try moto.build(ref: "v1.0.0", out: "impostor")
        #expect(impostor.bundle.bundleSha256 != original.bundle.bundleSha256)
        let error = try #require(throws: BuildError.self) { try moto.publish(impostor.folder) }
        #expect(error.code == .releaseExists)
        #expect(error.message.contains("already exists with different bytes"))
        #expect(error.message.contains("publish a new version"))
        // The published release and the channel are untouched.
        let release = try moto.bucket.release(pipeline: "webapp", version: try SemVer("1.0.0"))
        #expect(release.bundleSha256 == original.bundle.bundleSha256)
        #expect(try moto.pointerSerials() == [1])
    }

    @Test func aReleaseWithUnchangedCodeUploadsNoArtifactOnlyHeadsThem() throws {
        let fixture = try PipelineFixture()
        let moto = try MotoPipeline(fixture)
        let first = try moto.release("1.0.0")
        #expect(first.publish.uploaded.count == 3)
        // A new commit outside the pipeline's source folder: same code, new version.
        try fixture.commit("README.md", "notes\n")
        moto.http.resetRequestCounts()
        let second = try moto.release("1.1.0")
        let counts = moto.http.requestCounts
        #expect(second.build.zippedFolders == 0 && second.build.reusedFolders == 2)
        #expect(second.publish.uploaded.isEmpty)
        #expect(second.publish.present.count == 3)
        // One HEAD per artifact; the only PUTs are bundle, signature, manifest and pointer.
        #expect(counts[.head] == 3)
        #expect(counts[.put] == 4)
        // One GET, the pointer: its history is not listed and read again, since the latest
        // version is the one the first release wrote (the mark it kept in the cache).
        #expect(counts[.get] == 1)
        #expect(second.build.bundle.manifest.artifacts == first.build.bundle.manifest.artifacts)
        for artifact in first.build.bundle.manifest.artifacts {
            #expect(try moto.bucket.versions(of: artifact.key).count == 1)
        }
        #expect(try moto.pointerSerials() == [2, 1])
    }

    @Test func aZipTheCacheHeldIsHashedBeforeAReleaseUploadsIt() throws {
        // A release uploads the zips it has just written without reading them again (they
        // were hashed as they were written); a zip reused from the cache is checked first.
        let fixture = try PipelineFixture()
        let first = try MotoPipeline(fixture)
        let released = try first.release("1.0.0")
        #expect(released.publish.uploaded.count == 3)
        let zip = try #require(released.build.bundle.manifest.artifacts.max { $0.size < $1.size })
        let file = first.cache.path(of: zip.sha256)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count / 2] ^= 0x01  // same size: the cache still offers it for its tree
        try bytes.write(to: URL(fileURLWithPath: file))

        let second = try MotoPipeline(fixture, cache: first.cache)  // a fresh bucket
        let error = try #require(throws: BuildError.self) { try second.release("1.0.1") }
        #expect(error.code == .cache && error.message.contains("no longer has the sha256"), "\(error)")
        #expect(!(try second.keys()).contains(zip.key), "the changed zip was uploaded")
        #expect(try second.keys().allSatisfy { $0.contains("/artifacts/") }, "release objects or pointer were written")
    }

    @Test func anArtifactMissingFromBucketAndCacheStopsThePublishBeforeTheReleaseObjects() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let built = try moto.build(out: "b")
        let artifact = try #require(built.bundle.manifest.artifacts.first)
        try FileManager.default.removeItem(atPath: moto.cache.path(of: artifact.sha256))
        let error = try #require(throws: BuildError.self) { try moto.publish(built.folder) }
        #expect(error.code == .cache)
        #expect(error.message.contains("publish where you built, or build again here"))
        #expect(try moto.keys().allSatisfy { $0.contains("/artifacts/") }, "release objects or pointer were written")
    }

    @Test func aDryRunReadsTheBucketAndWritesNothing() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let built = try moto.build(out: "dry")
        let result = try moto.publish(built.folder, dryRun: true)
        #expect(result.dryRun)
        #expect(result.uploaded.count == 3)
        #expect(result.written.count == 3)
        #expect(result.wouldMoveTo == 1)
        #expect(result.pointer == nil)
        #expect(try moto.keys().isEmpty)
    }

    /// A channel at serial 1 (release 1.0.0), and a build of a new commit (worker 'a').
    private func channelAndBuild() throws -> (PipelineFixture, MotoPipeline, BuildResult) {
        let fixture = try PipelineFixture()
        let moto = try MotoPipeline(fixture)
        _ = try moto.release("1.0.0")  // the channel starts at serial 1
        try fixture.commit("app/src/worker/worker.py", "def work(event, context):\n    return 'a'\n")
        return (fixture, moto, try moto.build(out: "a"))
    }

    @Test func aPlanFromAReadingTheChannelMovedSinceIsMadeAgainAndWins() throws {
        let (_, moto, a) = try channelAndBuild()
        // As `ferry release` does beside its build: the channel's pointer is read early...
        let bucket = moto.bucket
        let reading = Pending { () throws(BucketError) -> PointerReading in
            try bucket.readPointer(pipeline: "webapp", scope: .channel("canary"), trust: MotoPipeline.writer.trust)
        }
        #expect(try reading.value().objectKey == (try moto.bucket.layout.channel(pipeline: "webapp", channel: "canary")))
        // ...then someone else moves the channel before the publish writes it.
        _ = try moto.release("1.1.0")
        let result = try Publisher.publish(PublishRequest(folder: a.folder, bucket: moto.bucket, channel: "canary",
                                                          writer: MotoPipeline.writer, reading: reading))
        // The stale plan's swap failed (412); a plan from a new reading won the next serial.
        #expect(result.pointer?.pointer.serial == 3)
        #expect(result.pointer?.pointer.release?.version == a.bundle.manifest.version)
        #expect(try moto.pointerSerials() == [3, 2, 1])
    }

    @Test func twoPublishersRacingForOneChannelLoseNoPointer() throws {
        let (fixture, moto, a) = try channelAndBuild()
        try fixture.commit("app/src/worker/worker.py", "def work(event, context):\n    return 'b'\n")
        let b = try moto.build(out: "b")

        // Publisher A goes through a proxy that holds its pointer write for 3 s, after A
        // has read the pointer; publisher B reads and moves the channel in between.
        let proxy = try FaultProxy(upstream: try TestEnvironment.motoEndpoint())
        let channelKey = try moto.bucket.layout.channel(pipeline: "webapp", channel: "canary")
        try proxy.inject([.delay(ms: 3000, match: "PUT /\(moto.bucket.name)/\(channelKey)")])
        let viaProxy = try moto.bucket(through: proxy.endpoint)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let folderA = a.folder
        Thread {
            let result = Result { () throws(BuildError) -> PublishResult in
                try Publisher.publish(PublishRequest(folder: folderA, bucket: viaProxy, channel: "canary",
                                                     writer: MotoPipeline.writer))
            }
            outcome.value.withLock { $0 = result }
            done.signal()
        }.start()
        let deadline = Date().addingTimeInterval(20)
        while try !proxy.log().contains(where: { $0.method == "PUT" && $0.path.contains("/channels/") }) {
            #expect(Date() < deadline, "publisher A never tried to move the channel")
            if Date() >= deadline { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let winner = try moto.publish(b.folder)
        #expect(winner.pointer?.pointer.serial == 2)
        done.wait()

        let loser = try #require(outcome.value.withLock { $0 })
        guard case .failure(let error) = loser else {
            Issue.record("publisher A should have lost the race, but: \(loser)")
            return
        }
        #expect(error.code == .channelMoved)
        #expect(error.message.contains("moved while this publish ran"))
        #expect(error.message.contains("Run ferry publish again"))
        #expect(try moto.pointerSerials() == [2, 1])
        // A retries and wins the next serial: every move is in the history, in order.
        let retry = try moto.publish(a.folder)
        #expect(retry.pointer?.pointer.serial == 3)
        #expect(retry.pointer?.pointer.release?.version == a.bundle.manifest.version)
        #expect(try moto.pointerSerials() == [3, 2, 1])
    }
}

/// What the racing publisher's thread ended with.
private final class Outcome: Sendable {
    let value = Mutex<Result<PublishResult, BuildError>?>(nil)
}
