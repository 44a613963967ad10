import Archive
import Foundation
import TestSupport
import Testing

/// The zip container Ferry writes itself (libdeflate + `ZipRecords`), read back by
/// libarchive (the extractor the agent uses), `unzip` and Python's zipfile.
@Suite struct ZipFormatTests {
    /// Text-like bytes that deflate to about a third: words from a fixed list.
    static func text(_ count: Int, seed: UInt64) -> Data {
        let words = ["alpha", "beta", "gamma", "delta", "lambda", "stack", "bucket", "release", "ferry", "zip"]
        var state = seed, out = Data()
        out.reserveCapacity(count + 16)
        while out.count < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            out.append(contentsOf: words[Int(state >> 33) % words.count].utf8)
            out.append(state >> 60 == 0 ? 0x0a : 0x20)
        }
        return out.prefix(count)
    }

    static let contents: [(name: String, data: Data, executable: Bool, compression: ZipCompression)] = [
        ("big/text.txt", text(5_000_000, seed: 3), false, .deflate),  // > 4 MiB, deflated
        ("big/noise.bin", noise(4_300_000, seed: 4), false, .deflate),  // > 4 MiB; deflate would not shrink it: stored
        ("empty.txt", Data(), false, .deflate),
        ("stored/asked.txt", text(20_000, seed: 5), false, .store),
        ("\u{65e5}\u{672c}/na\u{ef}ve \u{e9}t\u{e9}.txt", Data("caf\u{e9}\n".utf8), false, .deflate),
        ("bin/run", text(3_000, seed: 6), true, .deflate),
    ]

    func writeSample(_ folder: TemporaryDirectory) throws -> (zip: String, written: WrittenZip) {
        let zip = folder.url("sample.zip")
        let written = try writeZip(entries: Self.contents.map {
            ZipEntry(name: $0.name, source: .bytes($0.data), executable: $0.executable, compression: $0.compression)
        }, to: zip, mtime: Date(timeIntervalSince1970: 1_700_000_000))
        return (zip, written)
    }

    @Test func libarchiveExtractsEveryEntryWithItsBytesAndMode() throws {
        let folder = try TemporaryDirectory()
        let (zip, written) = try writeSample(folder)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        #expect(written.sha256 == TestDigest.sha256(bytes) && written.size == bytes.count, "hashed as written")
        let extracted = try extract(zip: zip, into: folder.url("out"))
        let expected = Self.contents.map {
            ExtractedFile(path: $0.name, size: Int64($0.data.count), sha256: TestDigest.sha256($0.data), executable: $0.executable)
        }
        #expect(Set(extracted) == Set(expected))
        #expect(try listEntries(zip: zip).map(\.name) == written.files.map(\.name))
    }

    @Test func unzipTestsItCleanAndPythonSeesTheMethodsAndFlags() throws {
        let folder = try TemporaryDirectory()
        let (zip, _) = try writeSample(folder)
        let tested = try run(["unzip", "-t", zip])
        #expect(tested.contains("No errors detected in compressed data"), "\(tested)")
        #expect(tested.components(separatedBy: "OK").count - 1 == Self.contents.count)
        let report = try runPython(#"""
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: [i.compress_type, i.flag_bits & 0x800, i.file_size] for i in z.infolist()}, ensure_ascii=False))
"""#, [zip])
        let rows = try JSONSerialization.jsonObject(with: Data(report.utf8)) as! [String: [Int]]
        #expect(rows["big/text.txt"] == [8, 0, 5_000_000])
        #expect(rows["big/noise.bin"] == [0, 0, 4_300_000], "random bytes deflate would grow are stored")
        #expect(rows["empty.txt"] == [0, 0, 0])
        #expect(rows["stored/asked.txt"] == [0, 0, 20_000])
        #expect(rows["\u{65e5}\u{672c}/na\u{ef}ve \u{e9}t\u{e9}.txt"] == [0, 0x800, 6], "UTF-8 flag on a non-ASCII name")
        #expect(rows["bin/run"]?[0] == 8)
    }

    @Test func anEntryOver4GiBIsRefusedBeforeAnyByteIsRead() throws {
        // 5 GiB of address space that may not be touched: the size check must come first.
        let size = 5 << 30
        let region = try #require(mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0))
        #expect(region != MAP_FAILED)
        defer { munmap(region, size) }
        let compressor = try ZipCompressor(level: .fastest)
        let error = try #require(throws: ArchiveError.self) {
            try compressor.compress(name: "huge.bin", bytes: UnsafeRawBufferPointer(start: region, count: size),
                                    executable: false, compression: .deflate)
        }
        #expect(error.code == .tooLarge && error.entry == "huge.bin")
        #expect(error.message.contains("under 4 GiB"))
    }

    @Test func aNameLongerThanAZipHoldsIsRefusedAndTheWriterCarriesOn() throws {
        let folder = try TemporaryDirectory()
        let writer = try ZipWriter(path: folder.url("z.zip"), mtime: Date(timeIntervalSince1970: 0))
        let long = Array(repeating: String(repeating: "d", count: 200), count: 400).joined(separator: "/")
        let error = try #require(throws: ArchiveError.self) { try writer.add(name: long, data: Data("x".utf8)) }
        #expect(error.code == .unsafePath && error.message.contains("65,535"))
        try writer.add(name: "ok.txt", data: Data("x".utf8))
        try writer.close()
        #expect(try listEntries(zip: folder.url("z.zip")).map(\.name) == ["ok.txt"])
    }

    @Test func entriesCompressedAheadOfTheWriterGiveTheSameZip() throws {
        let folder = try TemporaryDirectory()
        let items = (0..<24).map { (name: String(format: "f%02d.txt", $0), data: Self.text(10_000 + $0 * 997, seed: UInt64($0))) }
        let direct = try ZipWriter(path: folder.url("direct.zip"), mtime: Date(timeIntervalSince1970: 0), deflate: .fastest)
        for item in items { try direct.add(name: item.name, data: item.data) }
        let first = try direct.close()
        let made = try items.map { item in
            try ZipCompressor(level: .fastest).compress(name: item.name, data: item.data, executable: false, compression: .deflate)
        }
        let ahead = try ZipWriter(path: folder.url("ahead.zip"), mtime: Date(timeIntervalSince1970: 0))
        for entry in made { try ahead.add(entry) }
        let second = try ahead.close()
        #expect(first == second)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.url("direct.zip")))
            == (try Data(contentsOf: URL(fileURLWithPath: folder.url("ahead.zip")))))
    }
}
