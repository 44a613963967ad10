import Archive
import Foundation
import Manifest
import TestSupport
import Testing
@testable import Builder

@Suite struct FolderZipTests {
    /// A code folder written in the given order, with the given file times.
    func makeFolder(in directory: TemporaryDirectory, named name: String, reversed: Bool, mtime: Date) throws -> String {
        var files: [(String, Data)] = [
            ("handler.py", Data("print('hi')\n".utf8)),
            ("lib/util.py", Data(String(repeating: "x = 1\n", count: 5000).utf8)),
            ("lib/blob.bin", PipelineFixture.pseudoRandom(count: 40_000, seed: 3)),
            ("run.sh", Data("#!/bin/sh\n".utf8)),
        ]
        if reversed { files.reverse() }
        for (path, data) in files {
            let full = directory.url("\(name)/\(path)")
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: full))
            try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: full)
        }
        chmod(directory.url("\(name)/run.sh"), 0o755)
        return directory.url(name)
    }

    @Test func theSameFilesGiveTheSameZipWhateverOrderTimesOrPlace() throws {
        let directory = try TemporaryDirectory()
        let a = try makeFolder(in: directory, named: "a", reversed: false, mtime: Date(timeIntervalSince1970: 1_000_000))
        let b = try makeFolder(in: directory, named: "elsewhere/b", reversed: true, mtime: Date())
        try FolderZip.zip(folder: a, to: directory.url("a.zip"))
        try FolderZip.zip(folder: b, to: directory.url("b.zip"))
        let first = try Data(contentsOf: URL(fileURLWithPath: directory.url("a.zip")))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: directory.url("b.zip")))))

        let entries = try listEntries(zip: directory.url("a.zip"))
        #expect(entries.map(\.name) == ["handler.py", "lib/blob.bin", "lib/util.py", "run.sh"])
        #expect(entries.map(\.executable) == [false, false, false, true])
        // Every entry's DOS time is 1980-01-01 00:00:00 (date 0x0021, time 0): the fixed mtime.
        let dates = Self.centralDirectoryTimes([UInt8](first))
        #expect(dates.count == 4)
        #expect(dates.allSatisfy { $0 == 0x0021_0000 })
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

    @Test func randomBytesAreStoredAndTextIsDeflated() throws {
        let directory = try TemporaryDirectory()
        let random = directory.url("random.bin"), text = directory.url("text.txt"), tiny = directory.url("tiny.bin")
        try PipelineFixture.pseudoRandom(count: 100_000, seed: 9).write(to: URL(fileURLWithPath: random))
        try Data(String(repeating: "hello world\n", count: 10_000).utf8).write(to: URL(fileURLWithPath: text))
        try PipelineFixture.pseudoRandom(count: 100, seed: 9).write(to: URL(fileURLWithPath: tiny))
        #expect(FolderZip.compression(of: random) == .store)
        #expect(FolderZip.compression(of: text) == .deflate)
        #expect(FolderZip.compression(of: tiny) == .deflate)
        #expect(FolderZip.entropy([UInt8](repeating: 7, count: 100)) == 0)
        #expect(abs(FolderZip.entropy((0..<256 * 16).map { UInt8($0 % 256) }) - 8) < 1e-9)
    }

    @Test func aSingleFileZipHoldsOneEntryNamedByTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("deep/path/handler.js", "exports.handler = () => 1\n")
        try FolderZip.zip(file: file, to: directory.url("one.zip"))
        #expect(try listEntries(zip: directory.url("one.zip")).map(\.name) == ["handler.js"])
    }

    @Test func theCacheFindsAFoldersZipByTreeIdOnlyWhileTheObjectIsThere() throws {
        let directory = try TemporaryDirectory()
        let cache = try ArtifactCache(folder: directory.url("cache"))
        let temporary = cache.temporaryPath()
        try Data("zip bytes".utf8).write(to: URL(fileURLWithPath: temporary))
        let object = try cache.adopt(temporary)
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
