import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing
@testable import Builder

/// A release whose build folder is scratch uploads its code zips from memory: the cache
/// records their trees, not their bytes. A later release reuses a zip the bucket holds
/// and zips again one it does not.
@Suite struct ReleaseFromMemoryTests {
    let fixture = try! PipelineFixture()
    let scratch = try! TemporaryDirectory("ferry-release-memory")

    func release(_ version: String, bucket: SharedBucket, cache: ArtifactCache) throws -> ReleaseResult {
        var request = BuildRequest(repository: fixture.path, pipeline: fixture.name, output: scratch.url("out-\(version)"),
                                   bucket: bucket.name, layout: bucket.layout,
                                   objectURLBase: "https://s3.eu-west-1.amazonaws.com", cache: cache,
                                   key: ReleaseFixture.builderKey, environment: ["PATH": "/usr/bin:/bin"])
        request.scratchOutput = true
        return try Releaser.release(request, version: try SemVer(version), bucket: bucket, channel: "canary",
                                    writer: PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust))
    }

    /// The code zips a release uploaded: key → the bytes in the bucket.
    func codeZips(_ result: ReleaseResult, in bucket: SharedBucket) throws -> [String: Data] {
        var zips: [String: Data] = [:]
        for key in result.publish.uploaded {
            guard case .found(let data, _) = try bucket.read(key: key, cap: 1 << 30), data.starts(with: Data("PK".utf8)) else {
                continue
            }
            zips[key] = data
        }
        return zips
    }

    func files(in folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    @Test func codeZipsGoFromMemoryAndTheNextReleaseReusesOrRemakesThem() throws {
        let cache = try ArtifactCache(folder: scratch.url("cache"))
        let bucket = ReleaseFixture.makeBucket()
        let first = try release("1.0.0", bucket: bucket, cache: cache)
        let zips = try codeZips(first, in: bucket)
        #expect(first.build.zippedFolders >= 1 && zips.count >= 1)
        for (key, data) in zips {
            let digest = sha256Hex(data)
            #expect(key.contains(digest), "the bucket holds the bytes the key names")
            #expect(!FileManager.default.fileExists(atPath: cache.path(of: digest)), "no copy in the cache")
        }
        #expect(files(in: cache.folder + "/trees").count == first.build.zippedFolders)
        #expect(files(in: cache.folder + "/tmp").isEmpty, "nothing half-written left behind")

        // Unchanged code, same bucket: the trees are known and the zips are in the bucket.
        let second = try release("1.0.1", bucket: bucket, cache: cache)
        #expect(second.build.zippedFolders == 0)
        #expect(second.build.reusedFolders == first.build.zippedFolders)
        #expect(try codeZips(second, in: bucket).isEmpty)

        // Another bucket that lacks them: the build takes them as known, and the upload
        // makes each again, to the same bytes, when its HEAD finds it missing.
        let other = ReleaseFixture.makeBucket()
        let third = try release("1.0.2", bucket: other, cache: cache)
        #expect(third.build.zippedFolders == 0)
        #expect(try codeZips(third, in: other) == zips)
    }

    @Test func aTreeRecordTheFolderNoLongerZipsToFailsTheReleaseBeforeItPublishes() throws {
        let cache = try ArtifactCache(folder: scratch.url("cache"))
        let first = try release("1.0.0", bucket: ReleaseFixture.makeBucket(), cache: cache)
        #expect(first.build.zippedFolders >= 1)
        let trees = cache.folder + "/trees"
        for name in files(in: trees) {
            try Data("\(String(repeating: "ab", count: 32)) 123\n".utf8).write(to: URL(fileURLWithPath: trees + "/" + name))
        }
        let other = ReleaseFixture.makeBucket()
        let error = try #require(throws: BuildError.self) { try release("1.0.1", bucket: other, cache: cache) }
        #expect(error.code == .cache)
        #expect(error.message.contains("zips to") && error.message.contains("remove the cache's trees/ folder"), "\(error)")
        #expect(try other.list(prefix: "ferry/channels/").isEmpty && other.list(prefix: "ferry/releases/").isEmpty,
                "nothing an agent reads was written")
        #expect(files(in: cache.folder + "/tmp").isEmpty)
    }

    @Test func aBuildThatKeepsItsFolderWritesItsZipsToTheCache() throws {
        let cache = try ArtifactCache(folder: scratch.url("cache"))
        // A release first (zips only in the bucket), then a build: `ferry publish` will
        // read its artifacts from the cache, so the build zips again, into files.
        let bucket = ReleaseFixture.makeBucket()
        _ = try release("1.0.0", bucket: bucket, cache: cache)
        let built = try ReleaseBuilder.build(BuildRequest(
            repository: fixture.path, pipeline: fixture.name, output: scratch.url("kept"), bucket: bucket.name,
            layout: bucket.layout, objectURLBase: "https://s3.eu-west-1.amazonaws.com", cache: cache,
            key: ReleaseFixture.builderKey, environment: ["PATH": "/usr/bin:/bin"]))
        #expect(built.zippedFolders >= 1)
        let list = try JSONDecoder().decode(BuildFolder.Artifacts.self, from: Data(contentsOf: URL(
            fileURLWithPath: built.folder.file(BuildFolder.artifacts))))
        for artifact in list.artifacts {
            let digest = try ArtifactCache.digest(ofFile: artifact.file)
            #expect(digest.sha256 == artifact.sha256 && digest.size == artifact.size)
        }
    }
}
