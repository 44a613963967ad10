import AWS
import Bucket
import Builder
import Foundation
import HTTP
import Manifest
import TestSupport

/// A fixture pipeline and a fresh versioned bucket on the shared moto server, with its
/// own HTTP client (so a test can count its requests) and its own artifact cache.
/// Manifests are signed with `ReleaseFixture.builderKey`, pointers with `releaseKey`.
struct MotoPipeline {
    let fixture: PipelineFixture
    let scratch: TemporaryDirectory
    let cache: ArtifactCache
    let http = HTTPClient()
    let config: AWSConfig
    let bucket: SharedBucket

    /// A fresh bucket; a fresh artifact cache unless `cache` is given.
    init(_ fixture: PipelineFixture, cache: ArtifactCache? = nil) throws {
        self.fixture = fixture
        scratch = try TemporaryDirectory("ferry-release-test")
        self.cache = try cache ?? ArtifactCache(folder: scratch.url("cache"))
        config = try AWSTestConfig.make(http: http)
        bucket = try ReleaseFixture.makeBucket(S3(config: config))
    }

    /// The same bucket reached through another endpoint (a proxy in front of moto).
    func bucket(through endpoint: String) throws -> SharedBucket {
        SharedBucket(s3: S3(config: try AWSTestConfig.make(endpoint: endpoint)), name: bucket.name, layout: bucket.layout)
    }

    func request(ref: String = "HEAD", out: String) throws -> BuildRequest {
        BuildRequest(repository: fixture.path, pipeline: fixture.name, ref: ref, output: scratch.url(out),
                     bucket: bucket.name, layout: bucket.layout, objectURLBase: try ArtifactLocation.urlBase(for: config),
                     cache: cache, key: ReleaseFixture.builderKey)
    }

    func build(ref: String = "HEAD", out: String) throws -> BuildResult {
        try ReleaseBuilder.build(try request(ref: ref, out: out))
    }

    func publish(_ folder: BuildFolder, channel: String? = "canary", dryRun: Bool = false,
                 through bucket: SharedBucket? = nil) throws -> PublishResult {
        try Publisher.publish(PublishRequest(folder: folder, bucket: bucket ?? self.bucket, channel: channel,
                                             writer: Self.writer, dryRun: dryRun))
    }

    func release(_ version: String, channel: String? = "canary", ref: String = "HEAD", out: String? = nil) throws -> ReleaseResult {
        try Releaser.release(try request(ref: ref, out: out ?? "release-\(version)"), version: try SemVer(version),
                             bucket: bucket, channel: channel, writer: Self.writer)
    }

    /// The release key, checked against the fixture's trust set.
    static let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)

    /// Every key in the bucket, sorted.
    func keys() throws -> [String] { try bucket.list(prefix: "").map(\.key) }

    /// The serials of every version of a channel's pointer, newest first.
    func pointerSerials(_ channel: String = "canary") throws -> [Int] {
        let key = try bucket.layout.channel(pipeline: fixture.name, channel: channel)
        return try bucket.versions(of: key).map { version in
            guard case .found(let data, _) = try bucket.read(key: key, versionId: version.versionId, cap: SizeCap.pointer) else {
                return -1
            }
            return try unverifiedContents(Pointer.self, ofEnvelope: data).serial
        }
    }

    /// The git tags of the fixture.
    func tags() throws -> [String] {
        try fixture.git.git("tag", "-l").split(separator: "\n").map(String.init)
    }
}
