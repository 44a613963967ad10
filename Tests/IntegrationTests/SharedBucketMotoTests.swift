import AWS
import Basics
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// The shared bucket's protocol against the local moto server (BucketTests runs the same
/// over the in-memory store): write-once release
/// objects, pointer compare-and-swap, pins whose serial survives removal, status reads.
struct SharedBucketMotoTests {
    let bucket: SharedBucket
    let key = try! SigningKey(seed: Data(repeating: 7, count: 32))

    init() throws {
        let s3 = S3(config: try AWSTestConfig.make())
        let name = uniqueName("ferry-bucket")
        try s3.createBucket(name)
        try s3.putBucketVersioning(name)
        bucket = SharedBucket(s3: s3, name: name)
    }

    func release(_ version: String, manifest: String = "m", bundle: String = "b") throws -> ReleaseRef {
        ReleaseRef(pipeline: "webapp", version: try SemVer(version), manifestSha256: sha256Hex(Data(manifest.utf8)),
                   bundleSha256: sha256Hex(Data(bundle.utf8)))
    }

    @Test func releaseObjectsAreWrittenOnce() throws {
        let key = "ferry/releases/webapp/1.0.0/bundle.zip"
        #expect(try bucket.writeOnce(key: key, data: Data("one".utf8)) == .written)
        #expect(try bucket.writeOnce(key: key, data: Data("one".utf8)) == .alreadyThere)
        let error = #expect(throws: BucketError.self) { try bucket.writeOnce(key: key, data: Data("two".utf8)) }
        #expect(error?.code == .releaseExists)
        #expect(error?.message.contains("publish a new version") == true)
        // The first bytes are still there.
        #expect(try bucket.require(key: key, cap: 100, what: "bundle") == Data("one".utf8))
        #expect(try bucket.digest(of: key) == sha256Hex(Data("one".utf8)))
    }

    @Test func aChannelMovesWithTheNextSerialAndNotAgainForTheSameRelease() throws {
        let first = try bucket.moveChannel(pipeline: "webapp", channel: "canary", to: release("1.0.0"),
                                           reason: "publish", key: key, now: Date(timeIntervalSince1970: 1_700_000_000))
        guard case .moved(let pointer1) = first else { Issue.record("expected a move"); return }
        #expect(pointer1.serial == 1)
        let again = try bucket.moveChannel(pipeline: "webapp", channel: "canary", to: release("1.0.0"),
                                           reason: "publish", key: key, now: Date())
        #expect(again == .unchanged(pointer1))
        let back = try bucket.moveChannel(pipeline: "webapp", channel: "canary", to: release("0.9.0", manifest: "old"),
                                          reason: "rollback", key: key, now: Date())
        #expect(back.document.serial == 2)
        let older = try SemVer("0.9.0")
        #expect(back.document.version == older)
        // What is in the bucket is signed and opens with the key trusted as release.
        let data = try bucket.require(key: "ferry/channels/webapp/canary.json", cap: SizeCap.pointer, what: "pointer")
        let trust = TrustStore([(key.publicKey, [.release])])
        #expect(try openPointer(bytes: data, trust: trust, now: Date()).serial == 2)
    }

    @Test func twoMovesFromTheSameStateCannotBothWin() throws {
        _ = try bucket.moveChannel(pipeline: "webapp", channel: "stable", to: release("1.0.0"), reason: "a",
                                   key: key, now: Date())
        let (_, etag) = try #require(try bucket.currentPointer(pipeline: "webapp", channel: "stable"))
        // Another publisher moves the channel after we read it...
        _ = try bucket.moveChannel(pipeline: "webapp", channel: "stable", to: release("1.1.0"), reason: "b",
                                   key: key, now: Date())
        // ...so our compare-and-swap with the old ETag must fail and write nothing.
        let error = #expect(throws: BucketError.self) {
            try bucket.swap(key: "ferry/channels/webapp/stable.json", data: Data("{}".utf8), expecting: etag)
        }
        #expect(error?.code == .channelMoved)
        let (now, _) = try #require(try bucket.currentPointer(pipeline: "webapp", channel: "stable"))
        let expected = try SemVer("1.1.0")
        #expect(now.serial == 2 && now.version == expected)
        // Creating a pointer that already exists is refused the same way.
        let create = #expect(throws: BucketError.self) {
            try bucket.swap(key: "ferry/channels/webapp/stable.json", data: Data("{}".utf8), expecting: nil)
        }
        #expect(create?.code == .channelMoved)
    }

    @Test func aPinSerialContinuesAfterTheSiloWasUnpinned() throws {
        let pinned = try bucket.pin(pipeline: "webapp", silo: "111111111111-us-east-1", to: release("1.0.0"),
                                    reason: "hold", key: key, now: Date())
        #expect(pinned.document.serial == 1)
        #expect(try bucket.unpin(pipeline: "webapp", silo: "111111111111-us-east-1"))
        #expect(try bucket.currentPin(pipeline: "webapp", silo: "111111111111-us-east-1") == nil)
        #expect(try bucket.unpin(pipeline: "webapp", silo: "111111111111-us-east-1") == false)
        let again = try bucket.pin(pipeline: "webapp", silo: "111111111111-us-east-1", to: release("1.1.0"),
                                   reason: "hold again", key: key, now: Date())
        #expect(again.document.serial == 2)
    }

    @Test func statusReportsAreReadTogetherAndABadOneIsReportedNotDropped() throws {
        for silo in ["a-1", "b-2", "c-3"] {
            try bucket.putStatus(StatusReport(pipeline: "webapp", silo: silo, channel: "canary", state: .inSync,
                                              reportedAt: "2026-11-28T00:00:00Z", intervalSeconds: 30))
        }
        try bucket.put(key: "ferry/status/webapp/broken.json", data: Data("{not json".utf8))
        let (reports, problems) = try bucket.statuses(pipeline: "webapp")
        #expect(reports.map(\.silo) == ["a-1", "b-2", "c-3"])
        #expect(problems.count == 1)
        #expect(problems.first?.code == .invalidDocument)
    }

    @Test func aDownloadWithTheWrongDigestLeavesNoFile() throws {
        try bucket.put(key: "ferry/releases/webapp/2.0.0/bundle.zip", data: Data(repeating: 1, count: 1000))
        let dir = try TemporaryDirectory()
        let path = dir.url("bundle.zip")
        let error = #expect(throws: BucketError.self) {
            try bucket.download(key: "ferry/releases/webapp/2.0.0/bundle.zip", to: path, limit: 10_000,
                                sha256: String(repeating: "0", count: 64))
        }
        #expect(error?.code == .digestMismatch)
        #expect(!FileManager.default.fileExists(atPath: path))
        let tooBig = #expect(throws: BucketError.self) {
            try bucket.download(key: "ferry/releases/webapp/2.0.0/bundle.zip", to: path, limit: 999,
                                sha256: sha256Hex(Data(repeating: 1, count: 1000)))
        }
        #expect(tooBig?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

/// The test fixture that agent and on-call tests publish with writes what the agent
/// will verify: a signed manifest whose files match the bundle, and a signed pointer.
struct ReleaseFixtureMotoTests {
    @Test func aFixtureReleaseVerifiesEndToEnd() throws {
        let bucket = try ReleaseFixture.makeBucket(S3(config: try AWSTestConfig.make()))
        let dir = try TemporaryDirectory()
        let ref = try ReleaseFixture.publish(
            to: bucket, pipeline: "webapp", version: "1.0.0",
            stacks: [.init(name: "queue", template: "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")], in: dir.path)
        let pointer = try openPointer(
            bytes: try bucket.require(key: "ferry/channels/webapp/canary.json", cap: SizeCap.pointer, what: "pointer"),
            trust: ReleaseFixture.trust, now: Date())
        #expect(pointer.version == ref.version && pointer.serial == 1)
        let manifestBytes = try bucket.require(key: "ferry/releases/webapp/1.0.0/manifest.json", cap: SizeCap.manifest,
                                               what: "manifest")
        let manifest = try verifyManifest(
            bytes: manifestBytes,
            signature: try bucket.require(key: "ferry/releases/webapp/1.0.0/manifest.sig", cap: SizeCap.signature,
                                          what: "signature"),
            trust: ReleaseFixture.trust)
        #expect(sha256Hex(manifestBytes) == pointer.manifestSha256)
        let limit = manifest.bundleSizeLimit(manifestBytes: manifestBytes.count)
        let file = try bucket.download(key: "ferry/releases/webapp/1.0.0/bundle.zip", to: dir.url("b.zip"),
                                       limit: limit, sha256: pointer.bundleSha256)
        #expect(file.byteCount <= limit)
        #expect(try bucket.release(pipeline: "webapp", version: SemVer("1.0.0")) == ref)
        #expect(try bucket.releases(pipeline: "webapp") == [SemVer("1.0.0")])
    }
}
