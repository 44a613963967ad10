import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Archive
import Testing
@testable import Builder

/// A release whose build folder is scratch uploads its code zips from memory: the cache
/// records their trees, not their bytes. A later release reuses a zip the bucket holds
/// and zips again one it does not.
@Suite struct ReleaseFromMemoryTests {
    let fixture = try! PipelineFixture()
    let scratch = try! TemporaryDirectory("ferry-release-memory")

    func release(_ version: String, bucket: SharedBucket, cache: ArtifactCache,
                 zipMemory: ZipMemory? = nil) throws -> ReleaseResult {
        var request = BuildRequest(repository: fixture.path, pipeline: fixture.name, output: scratch.url("out-\(version)"),
                                   bucket: bucket.name, layout: bucket.layout,
                                   objectURLBase: "https://s3.eu-west-1.amazonaws.com", cache: cache,
                                   key: ReleaseFixture.builderKey, environment: ["PATH": "/usr/bin:/bin"])
        request.scratchOutput = true
        let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
        let reads = Releaser.startReads(request, bucket: bucket, channel: "canary", trust: writer.trust, dryRun: false,
                                        zipMemory: zipMemory)
        return try Releaser.release(request, version: try SemVer(version), bucket: bucket, channel: "canary",
                                    writer: writer, reads: reads)
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

    /// Zips wait for their upload in a bounded budget: one that does not fit is a file of
    /// the cache (so memory stays bounded whatever the repository), and every byte held
    /// is given back once the uploads are over.
    @Test func zipsThatDoNotFitTheBudgetAreFilesAndTheBudgetIsGivenBack() throws {
        let cache = try ArtifactCache(folder: scratch.url("cache"))
        let none = ZipMemory(perZip: 0, total: 0)
        let bucket = ReleaseFixture.makeBucket()
        let first = try release("1.0.0", bucket: bucket, cache: cache, zipMemory: none)
        let zips = try codeZips(first, in: bucket)
        #expect(!zips.isEmpty)
        for data in zips.values {
            let digest = try ArtifactCache.digest(ofFile: cache.path(of: sha256Hex(data)))
            #expect(digest.sha256 == sha256Hex(data), "a zip without room is a file of the cache, the same bytes")
        }
        #expect(none.inUse == 0)

        // Room for all: nothing in the cache, and nothing held once the release is done.
        let roomy = ZipMemory(perZip: 1 << 30, total: 1 << 30)
        let other = try release("1.0.0", bucket: ReleaseFixture.makeBucket(), cache: try ArtifactCache(folder: scratch.url("c2")),
                                zipMemory: roomy)
        #expect(other.build.zippedFolders >= 1 && roomy.inUse == 0)
        let inCache = files(in: scratch.url("c2") + "/objects")
        #expect(inCache.allSatisfy { name in !zips.values.contains { sha256Hex($0) == name } },
                "\(inCache) \(zips.keys.sorted()) \(first.publish.uploaded) \(other.publish.uploaded)")
    }

    /// A zip made again for a bucket that lacks it also waits in the budget, or in a
    /// temporary file of the cache when there is no room; neither is left behind.
    @Test(arguments: [0, 1 << 30])
    func aZipMadeAgainFitsTheBudgetOrGoesThroughAFile(room: Int) throws {
        let cache = try ArtifactCache(folder: scratch.url("cache"))
        let first = try release("1.0.0", bucket: ReleaseFixture.makeBucket(), cache: cache)
        let other = ReleaseFixture.makeBucket()
        let memory = ZipMemory(perZip: room, total: room)
        let again = try release("1.0.1", bucket: other, cache: cache, zipMemory: memory)
        #expect(again.build.zippedFolders == 0)
        #expect(try codeZips(again, in: other).count == first.build.zippedFolders)
        #expect(memory.inUse == 0)
        #expect(files(in: cache.folder + "/tmp").isEmpty)
    }

    /// Writers share the budget byte by byte: a zip that would pass its share or what is
    /// left goes to its file and gives its bytes back; a zip kept holds them until given.
    @Test func writersShareTheBudgetAndAZipThatDoesNotFitGoesToItsFile() throws {
        let folder = try TemporaryDirectory("ferry-zip-memory")
        let memory = ZipMemory(perZip: 60_000, total: 100_000)
        func zip(_ name: String, size: Int) throws -> WrittenZip {
            let writer = try ZipWriter(path: folder.url(name), mtime: FolderZip.mtime, memoryLimit: memory.perZip,
                                       memory: memory)
            try writer.add(name: "a.bin", data: PipelineFixture.pseudoRandom(count: size, seed: UInt64(size)),
                           compression: .store)
            return try writer.close()
        }
        let first = try zip("first.zip", size: 50_000)
        #expect(first.bytes != nil && memory.inUse == first.size, "kept in memory, its bytes held")
        let second = try zip("second.zip", size: 55_000)
        #expect(second.bytes == nil, "what is left (about 50 kB) is not enough: a file")
        #expect(FileManager.default.fileExists(atPath: folder.url("second.zip")))
        #expect(memory.inUse == first.size, "the file's bytes were given back")
        let third = try zip("third.zip", size: 70_000)
        #expect(third.bytes == nil, "past its share: a file")
        memory.give(first.size)  // the first zip's upload is over
        #expect(memory.inUse == 0)
        let fourth = try zip("fourth.zip", size: 55_000)
        #expect(fourth.bytes != nil)
        memory.give(fourth.size)
        #expect(memory.inUse == 0)
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
