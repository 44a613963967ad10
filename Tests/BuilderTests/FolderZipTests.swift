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
