import AWS
import Archive
import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore

/// Releases written straight into a test bucket, in the layout `ferry publish` writes
/// (BundleLayout, BucketLayout): for the agent's and on-call's tests, which must not
/// depend on the builder. Three fixed keys play the three roles.
public enum ReleaseFixture {
    public static let builderKey = try! SigningKey(seed: Data(repeating: 1, count: 32))
    public static let releaseKey = try! SigningKey(seed: Data(repeating: 2, count: 32))
    public static let oncallKey = try! SigningKey(seed: Data(repeating: 3, count: 32))

    /// The three keys, each trusted in its own role.
    public static var trust: TrustStore {
        TrustStore([(builderKey.publicKey, [.builder]), (releaseKey.publicKey, [.release]),
                    (oncallKey.publicKey, [.oncall])])
    }

    /// One stack of a fixture release.
    public struct Stack: Sendable {
        public var name: String
        /// The template's text (YAML), stored as `templates/<name>.yaml`.
        public var template: String
        public var parameters: [String: String]
        public var dependsOn: [String]

        public init(name: String, template: String, parameters: [String: String] = [:], dependsOn: [String] = []) {
            self.name = name
            self.template = template
            self.parameters = parameters
            self.dependsOn = dependsOn
        }
    }

    /// A release built on disk, not yet uploaded.
    public struct Built: Sendable {
        public var manifest: Manifest
        public var manifestBytes: Data
        public var signature: Data
        public var bundlePath: String
        public var bundleSha256: String
    }

    /// Builds and signs a release in `folder`. `entries` may change the zip's entries
    /// after the manifest was computed (a file altered after signing, a hostile name):
    /// the manifest and signature stay those of the honest entries.
    public static func build(pipeline: String, version: String, stacks: [Stack], in folder: String,
                             entries change: (inout [ZipEntry]) -> Void = { _ in }) throws -> Built {
        var files: [String: Data] = [BundleLayout.testsLog: Data("fixture: no tests\n".utf8)]
        for stack in stacks {
            files[BundleLayout.template(stack: stack.name, ext: "yaml")] = Data(stack.template.utf8)
        }
        let manifest = Manifest(
            pipeline: pipeline, version: try SemVer(version), createdAt: "2026-11-28T00:00:00Z",
            source: .init(repository: "fixture", commit: String(repeating: "a", count: 40), tag: "v\(version)",
                          author: "Fixture <fixture@example.com>", subject: "fixture release \(version)"),
            stacks: stacks.map {
                .init(name: $0.name, template: BundleLayout.template(stack: $0.name, ext: "yaml"),
                      parameters: $0.parameters, dependsOn: $0.dependsOn)
            },
            files: files.keys.sorted().map { Manifest.File(path: $0, size: files[$0]!.count, sha256: sha256Hex(files[$0]!)) })
        let (manifestBytes, signature) = try signManifest(manifest, with: builderKey)
        var entries = files.map { ZipEntry(name: $0.key, source: .bytes($0.value)) }
            + [ZipEntry(name: BundleLayout.manifest, source: .bytes(manifestBytes))]
        change(&entries)
        let bundlePath = folder + "/bundle-\(pipeline)-\(version).zip"
        try writeZip(entries: entries, to: bundlePath, mtime: Date(timeIntervalSince1970: 1_700_000_000))
        let bundleSha256 = sha256Hex(try Data(contentsOf: URL(fileURLWithPath: bundlePath)))
        return Built(manifest: manifest, manifestBytes: manifestBytes, signature: signature, bundlePath: bundlePath,
                     bundleSha256: bundleSha256)
    }

    /// Writes a built release's objects (bundle, manifest, signature) into the bucket.
    @discardableResult
    public static func upload(_ built: Built, to bucket: SharedBucket) throws -> ReleaseRef {
        let pipeline = built.manifest.pipeline
        let version = built.manifest.version
        _ = try bucket.writeOnce(key: try bucket.layout.bundle(pipeline: pipeline, version: version),
                                 file: built.bundlePath, sha256: built.bundleSha256)
        _ = try bucket.writeOnce(key: try bucket.layout.manifest(pipeline: pipeline, version: version),
                                 data: built.manifestBytes)
        _ = try bucket.writeOnce(key: try bucket.layout.signature(pipeline: pipeline, version: version),
                                 data: built.signature)
        return ReleaseRef(pipeline: pipeline, version: version, manifestSha256: sha256Hex(built.manifestBytes),
                          bundleSha256: built.bundleSha256)
    }

    /// Builds, uploads and (with a channel) points the channel at a release, signed
    /// with `releaseKey`.
    @discardableResult
    public static func publish(to bucket: SharedBucket, pipeline: String, version: String, stacks: [Stack],
                               channel: String? = "canary", in folder: String,
                               entries change: (inout [ZipEntry]) -> Void = { _ in }) throws -> ReleaseRef {
        let release = try upload(try build(pipeline: pipeline, version: version, stacks: stacks, in: folder,
                                           entries: change), to: bucket)
        if let channel {
            try move(bucket, pipeline: pipeline, channel: channel, to: release, reason: "publish \(version)")
        }
        return release
    }

    /// Moves `channel` to `release` through the one move (plan, then commit), signed by
    /// `key` (the release key), issued at `now`, valid for `lifetime`.
    @discardableResult
    public static func move(_ bucket: SharedBucket, pipeline: String, channel: String, to release: ReleaseRef,
                            reason: String, key: SigningKey = releaseKey, now: Date = Date(),
                            lifetime: TimeInterval = Pointer.defaultLifetime) throws -> MoveResult {
        let writer = PointerSigner(key: key, trust: trust, lifetime: lifetime)
        let plan = try bucket.planMove(pipeline: pipeline, scope: .channel(channel), to: .release(release.pointed),
                                       reason: reason, by: writer)
        return try bucket.commit(plan, by: writer, now: now)
    }

    /// A fresh versioned bucket on the shared moto server.
    public static func makeBucket(_ s3: AWS.S3, prefix: String = "ferry/") throws -> SharedBucket {
        let name = uniqueName("ferry-rel")
        try s3.createBucket(name)
        try s3.putBucketVersioning(name)
        return SharedBucket(s3: s3, name: name, layout: BucketLayout(prefix: prefix))
    }

    /// A fresh versioned bucket in an in-memory store (offline unit tests).
    public static func makeBucket(_ store: MemoryStore = MemoryStore(), prefix: String = "ferry/") -> SharedBucket {
        let name = uniqueName("ferry-rel")
        store.createBucket(name)
        return SharedBucket(store: store, name: name, layout: BucketLayout(prefix: prefix))
    }
}
