import Archive
import Basics
import Foundation
import Git
import Manifest
import TestSupport
import Testing
@testable import Builder

@Suite struct FolderZipTests {
    /// The zip of `app/src/fn` of the fixture's HEAD.
    @discardableResult
    static func zipOfFunction(_ fixture: PipelineFixture, to path: String, width: Int = 1) throws -> StoredObject {
        let repository = try Repository.open(fixture.path)
        let files = try CommitFiles(repository: repository, commit: try repository.resolve("HEAD"), sourcePath: "app")
        return try FolderZip.zip(files.files(under: "/app/src/fn"), repositoryPath: fixture.path, to: path, width: width)
    }

    @Test func compressingOnSeveralThreadsGivesTheSameBytesAndTheDigestOfTheFile() throws {
        let fixture = try PipelineFixture()
        // Enough files for the writer to use threads (it keeps at least 32 files per thread).
        for index in 0..<100 {
            try fixture.git.write("app/src/fn/lib/m\(index).py", String(repeating: "value_\(index) = \(index)\n", count: 200 + index))
        }
        try fixture.git.commitAll("more files", date: 1_700_001_000)
        let out = try TemporaryDirectory()
        let one = try Self.zipOfFunction(fixture, to: out.url("one.zip"), width: 1)
        let three = try Self.zipOfFunction(fixture, to: out.url("three.zip"), width: 3)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out.url("one.zip")))
        #expect(one == three)
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: out.url("three.zip")))))
        #expect(one == StoredObject(sha256: sha256Hex(bytes), size: bytes.count), "hashed while written")
        let entries = try listEntries(zip: out.url("three.zip"))
        #expect(entries.count == 103 && entries.map(\.name) == entries.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// Commits `folders` (name -> file count) under `app/src/`, each beginning with a
    /// large text file (slow to deflate) and a large random one (stored) before many tiny
    /// files, and returns their items.
    static func unevenFolders(_ fixture: PipelineFixture, _ folders: [(String, Int)]) throws -> [[FolderZip.Item]] {
        let words = (0..<400).map { "w\($0 * 7919 % 100_003)" }
        let text = (0..<600_000).map { words[$0 * 31 % words.count] }.joined(separator: " ")
        for (folder, count) in folders {
            try fixture.git.write("app/src/\(folder)/a-big.txt", folder + text)
            try fixture.git.write("app/src/\(folder)/a-big.bin", bytes: PipelineFixture.pseudoRandom(count: 1 << 20, seed: 3))
            for index in 0..<count { try fixture.git.write("app/src/\(folder)/f\(index).txt", "\(folder) \(index)\n") }
        }
        try fixture.git.commitAll("uneven folders", date: 1_700_001_000)
        let repository = try Repository.open(fixture.path)
        let files = try CommitFiles(repository: repository, commit: try repository.resolve("HEAD"), sourcePath: "app")
        return folders.map { files.files(under: "/app/src/\($0.0)") }
    }

    @Test func oneThreadAndFourGiveTheSameBytesWhateverEachFileTakes() throws {
        let fixture = try PipelineFixture()
        let folders = try Self.unevenFolders(fixture, [("a", 300), ("b", 40), ("c", 200)])
        let out = try TemporaryDirectory()
        // Each folder alone, on one thread: the reference bytes.
        let alone = try folders.indices.map { index in
            try FolderZip.zip(folders[index], repositoryPath: fixture.path, to: out.url("alone\(index).zip"), width: 1)
        }
        // All in one pipeline on four threads, the workers running ahead into the next folders.
        var zipped: [Int] = []
        try FolderZip.zip(folders.indices.map { FolderZip.Folder(items: folders[$0], path: out.url("four\($0).zip")) },
                          repositoryPath: fixture.path, width: 4) { index, object in
            let bytes = try! Data(contentsOf: URL(fileURLWithPath: out.url("four\(index).zip")))
            #expect(object.object == StoredObject(sha256: sha256Hex(bytes), size: bytes.count), "complete and hashed when told")
            #expect(object.bytes == nil, "a zip without a memory limit is a file")
            zipped.append(index)
        }
        #expect(zipped == [0, 1, 2])
        for index in folders.indices {
            let one = try Data(contentsOf: URL(fileURLWithPath: out.url("alone\(index).zip")))
            #expect(one == (try Data(contentsOf: URL(fileURLWithPath: out.url("four\(index).zip")))))
            #expect(alone[index] == StoredObject(sha256: sha256Hex(one), size: one.count))
            #expect(try listEntries(zip: out.url("four\(index).zip")).count == folders[index].count)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            == ["alone0.zip", "alone1.zip", "alone2.zip", "four0.zip", "four1.zip", "four2.zip"])
    }

    @Test func workersAtTheWindowWaitForTheWriterAndStopWhenTold() throws {
        let fixture = try PipelineFixture()
        let items = try Self.unevenFolders(fixture, [("a", 60)])[0].sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for taking in [items.count, 10] {
            // A window of one file: every worker waits for the writer after each file.
            let pipeline = ZipPipeline(files: items, window: 1, repositoryPath: fixture.path, workingTree: false)
            let pool = WorkerPool(width: 3)
            for _ in 0..<3 { pool.submit { pipeline.work() } }
            let names = try (0..<taking).map { _ in try pipeline.next().name }
            pipeline.stop()
            pool.wait()
            #expect(names == items.prefix(taking).map(\.name))
        }
    }

    @Test func aFileThatCannotBeReadIsNamedAndLeavesNoZip() throws {
        let fixture = try PipelineFixture()
        var folders = try Self.unevenFolders(fixture, [("a", 150), ("b", 150)])
        folders[1][77].blob = String(repeating: "0", count: 40)  // no such blob
        let missing = folders[1][77].name
        for width in [1, 4] {
            let out = try TemporaryDirectory()
            var zipped: [Int] = []
            #expect {
                try FolderZip.zip(folders.indices.map { FolderZip.Folder(items: folders[$0], path: out.url("z\($0).zip")) },
                                  repositoryPath: fixture.path, width: width) { index, _ in zipped.append(index) }
            } throws: { error in
                "\(error)".contains("reading \(missing)")
            }
            #expect(zipped == [0], "the folder before the failing one is complete")
            #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["z0.zip"], "nothing half-written")
        }
    }

    @Test func aFoldersZipHoldsItsCommittedFilesWithFixedTimesAndModes() throws {
        let fixture = try PipelineFixture()
        let out = try TemporaryDirectory()
        try Self.zipOfFunction(fixture, to: out.url("fn.zip"))
        let entries = try listEntries(zip: out.url("fn.zip"))
        #expect(entries.map(\.name) == ["data.bin", "handler.py", "run.sh"])
        #expect(entries.map(\.executable) == [false, false, true])
        // Every entry's DOS time is 1980-01-01 00:00:00 (date 0x0021, time 0): the fixed mtime.
        let times = Self.centralDirectoryTimes([UInt8](try Data(contentsOf: URL(fileURLWithPath: out.url("fn.zip")))))
        #expect(times == [0x0021_0000, 0x0021_0000, 0x0021_0000])
        let unpacked = try extract(zip: out.url("fn.zip"), into: out.url("x"))
        #expect(unpacked.first { $0.path == "data.bin" }?.sha256 == sha256Hex(PipelineFixture.pseudoRandom(count: 4096, seed: 7)))
    }

    @Test func theSameFolderInALaterCommitGivesTheSameBytes() throws {
        let fixture = try PipelineFixture()
        let out = try TemporaryDirectory()
        try Self.zipOfFunction(fixture, to: out.url("one.zip"))
        // Another commit, much later, that changes other files only.
        try fixture.commit("app/storage.yaml", PipelineFixture.storageTemplate + "# later\n", date: 1_800_000_000)
        try Self.zipOfFunction(fixture, to: out.url("two.zip"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out.url("one.zip")))
            == (try Data(contentsOf: URL(fileURLWithPath: out.url("two.zip")))))
    }

    /// The DOS date and time (`date << 16 | time`) of every central-directory record.
    static func centralDirectoryTimes(_ bytes: [UInt8]) -> [UInt32] {
        func le16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func le32(_ at: Int) -> Int { le16(at) | le16(at + 2) << 16 }
        let end = bytes.count - 22
        guard end >= 0, le32(end) == 0x0605_4b50 else { return [] }
        var offset = le32(end + 16)
        var times: [UInt32] = []
        for _ in 0..<le16(end + 10) {
            guard le32(offset) == 0x0201_4b50 else { break }
            times.append(UInt32(le16(offset + 14)) << 16 | UInt32(le16(offset + 12)))
            offset += 46 + le16(offset + 28) + le16(offset + 30) + le16(offset + 32)
        }
        return times
    }

    @Test func randomBytesAreStoredAndTextIsDeflated() {
        func compression(_ data: Data) -> ZipCompression { data.withUnsafeBytes { FolderZip.compression(of: $0) } }
        #expect(compression(PipelineFixture.pseudoRandom(count: 100_000, seed: 9)) == .store)
        #expect(compression(Data(String(repeating: "hello world\n", count: 10_000).utf8)) == .deflate)
        #expect(compression(PipelineFixture.pseudoRandom(count: 100, seed: 9)) == .deflate)
        #expect([UInt8](repeating: 7, count: 100).withUnsafeBytes { FolderZip.entropy($0) } == 0)
        #expect(abs((0..<256 * 16).map { UInt8($0 % 256) }.withUnsafeBytes { FolderZip.entropy($0) } - 8) < 1e-9)
    }

    @Test(arguments: [0, 1, 3, 4, 5, 255, 16_383, 16_384])
    func theEntropyCountsEveryByteWhateverTheLength(count: Int) {
        let bytes = [UInt8](PipelineFixture.pseudoRandom(count: count, seed: UInt64(count)).prefix(count / 2))
            + [UInt8](repeating: 42, count: count - count / 2)
        var counts: [UInt8: Int] = [:]
        for byte in bytes { counts[byte, default: 0] += 1 }
        let expected = counts.values.reduce(0.0) { sum, n in
            let p = Double(n) / Double(bytes.count)
            return sum - p * log2(p)
        }
        #expect(abs(bytes.withUnsafeBytes { FolderZip.entropy($0) } - expected) < 1e-9)
    }

    @Test func theFastDeflateLevelTakesEffectAndUnpacksTheSame() throws {
        let out = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let words = (0..<500).map { _ in String((0..<8).map { _ in "abcdefghij".randomElement(using: &generator)! }) }
        let text = Data((0..<40_000).map { words[$0 * 7919 % words.count] }.joined(separator: " ").utf8)
        for level in [DeflateLevel.standard, .fastest] {
            let writer = try ZipWriter(path: out.url("\(level).zip"), mtime: FolderZip.mtime, deflate: level)
            try writer.add(name: "t.txt", data: text)
            try writer.close()
            #expect(try extract(zip: out.url("\(level).zip"), into: out.url("\(level)")).map(\.sha256) == [sha256Hex(text)])
        }
        let slow = try Data(contentsOf: URL(fileURLWithPath: out.url("standard.zip")))
        let fast = try Data(contentsOf: URL(fileURLWithPath: out.url("fastest.zip")))
        #expect(fast.count > slow.count, "level 1 should compress text less than the default level")
        #expect(fast.count < text.count / 2)
    }

    @Test func theCacheFindsAFoldersZipByTreeIdOnlyWhileTheObjectIsThere() throws {
        let directory = try TemporaryDirectory()
        let cache = try ArtifactCache(folder: directory.url("cache"))
        let temporary = cache.temporaryPath()
        try Data("zip bytes".utf8).write(to: URL(fileURLWithPath: temporary))
        let object = try cache.adopt(temporary, as: StoredObject(sha256: sha256Hex(Data("zip bytes".utf8)), size: 9))
        #expect(object == StoredObject(sha256: sha256Hex(Data("zip bytes".utf8)), size: 9))
        #expect(!FileManager.default.fileExists(atPath: temporary))
        let tree = String(repeating: "ab", count: 20)
        #expect(cache.zipOfTree(tree) == nil)
        try cache.recordTree(tree, zip: object)
        #expect(cache.zipOfTree(tree) == object)
        try FileManager.default.removeItem(atPath: cache.path(of: object.sha256))
        #expect(cache.zipOfTree(tree) == nil, "an entry whose object is gone must not count")
        #expect(ArtifactCache.defaultFolder(environment: ["HOME": "/home/u"]) == "/home/u/.cache/ferry/artifacts")
        #expect(ArtifactCache.defaultFolder(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c"]) == "/c/ferry/artifacts")
    }
}
