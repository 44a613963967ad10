@testable import Archive
import Foundation
import TestSupport
import Testing


@Suite struct ExtractTests {
    @Test(arguments: [1, 3])
    func roundTripGivesTheSameBytesModesAndDigests(threads: Int) throws {
        let folder = try TemporaryDirectory()
        let contents: [(String, Data, Bool, ZipCompression)] = [
            ("a/b/c/deep.txt", Data("deep\n".utf8), false, .deflate),
            ("bin/tool", Data("#!/bin/sh\n".utf8), true, .deflate),
            ("big.bin", noise(3_000_000), false, .store),
            ("text.json", Data(String(repeating: "{\"k\": [1, 2, 3]}\n", count: 20_000).utf8), false, .deflate),
            ("zero", Data(), false, .deflate),
            ("ünï/cödé.txt", Data("ü".utf8), false, .deflate),
        ]
        try writeZip(entries: contents.map { ZipEntry(name: $0.0, source: .bytes($0.1), executable: $0.2, compression: $0.3) },
                     to: folder.url("b.zip"), mtime: Date(timeIntervalSince1970: 1_700_000_000))
        let files = try extract(zip: folder.url("b.zip"), into: folder.url("staging"), limits: ExtractLimits(),
                                skipCRC: false, threads: threads)
        let expected = contents.map { ExtractedFile(path: $0.0, size: Int64($0.1.count), sha256: TestDigest.sha256($0.1), executable: $0.2) }
            .sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        #expect(files == expected)
        for (name, data, executable, _) in contents {
            #expect(FileManager.default.contents(atPath: folder.url("staging/" + name)) == data, "\(name)")
            #expect(fileMode(folder.url("staging/" + name)) == (executable ? 0o755 : 0o644), "\(name)")
        }
        #expect(fileMode(folder.url("staging")) == 0o700)
        #expect(try listEntries(zip: folder.url("b.zip")).map(\.name) == expected.map(\.path))
        #expect(try listEntries(zip: folder.url("b.zip")).first { $0.name == "big.bin" }?.size == 3_000_000)
    }

    @Test func ratioIsMeasuredOnPackedBytesNotOnOneBlock() throws {
        // Incompressible entries have a ratio of about 1 however large the blocks
        // libarchive hands out: a tight limit with a tiny floor must let them through.
        let folder = try TemporaryDirectory()
        try writeZip(entries: [
            ZipEntry(name: "deflated.bin", source: .bytes(noise(3_000_000, seed: 1))),
            ZipEntry(name: "stored.bin", source: .bytes(noise(3_000_000, seed: 2)), compression: .store),
        ], to: folder.url("z.zip"), mtime: Date())
        let limits = ExtractLimits(maxRatio: 1.5, ratioFloorBytes: 1024)
        let files = try extract(zip: folder.url("z.zip"), into: folder.url("out"), limits: limits)
        #expect(files.map(\.size) == [3_000_000, 3_000_000])
    }

    @Test func manyFoldersDoNotExhaustDescriptors() throws {
        let folder = try TemporaryDirectory()
        let names = (0..<600).map { String(format: "d%04d/sub/f.txt", $0) }
        try writeZip(entries: names.map { ZipEntry(name: $0, source: .bytes(Data($0.utf8))) }, to: folder.url("z.zip"), mtime: Date())
        let files = try extract(zip: folder.url("z.zip"), into: folder.url("out"))
        #expect(files.map(\.path) == names)
        #expect(FileManager.default.contents(atPath: folder.url("out/d0599/sub/f.txt")) == Data("d0599/sub/f.txt".utf8))

        let staging = try StagingFolder(creating: folder.url("bounded"))
        defer { staging.remove() }
        var most = 0
        for index in 0..<300 {
            _ = try staging.directory("a\(index)/b", entry: "x")
            most = max(most, staging.openFolderCount)
        }
        #expect(most <= StagingFolder.openFolderLimit + 2)
        // A folder whose descriptor was closed is reopened, not recreated or refused.
        let fd = try staging.createFile("a0/b/late.txt", mode: 0o644, entry: "x")
        close(fd)
        #expect(exists(folder.url("bounded/a0/b/late.txt")))
    }

    @Test func extractsZipsMadeByOtherTools() throws {
        let folder = try TemporaryDirectory()
        let zip = folder.url("py.zip")
        _ = try runPython(#"""
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("dir/", b"")
    z.writestr("dir/file.txt", b"hello")
    z.writestr("./dot/./x.txt", b"x")
"""#, [zip])
        let files = try extract(zip: zip, into: folder.url("out"))
        #expect(files.map(\.path) == ["dir/file.txt", "dot/x.txt"])
        #expect(FileManager.default.contents(atPath: folder.url("out/dot/x.txt")) == Data("x".utf8))
    }

    static let hostileCases: [(HostileZip, ArchiveError.Code, String?)] = [
        (HostileZip.dotDot, ArchiveError.Code.unsafePath, "../escape.txt" as String?),
        (.dotDotInside, .unsafePath, "a/../../escape.txt"),
        (.absolute, .unsafePath, "/tmp/ferry-absolute-escape.txt"),
        (.backslash, .unsafePath, "../escape.txt"),  // libarchive turns the backslash into a slash
        (.symlink, .link, "link"),
        (.characterDevice, .unsupportedEntryType, "dev"),
        (.blockDevice, .unsupportedEntryType, "blk"),
        (.socket, .unsupportedEntryType, "sock"),
        (.duplicate, .duplicateEntry, "a.txt"),
        (.duplicateAfterDotSlash, .duplicateEntry, "./a.txt"),
        (.duplicateAfterDoubleSlash, .duplicateEntry, "d//a.txt"),
        (.fileThenFolder, .duplicateEntry, "d/a.txt"),
        (.ratioBomb, .compressionRatio, "zeros.bin"),
        (.bombBehindStoredEntry, .compressionRatio, "b-zeros.bin"),
        (.manyEntries, .tooManyEntries, "f3.txt"),
        (.manyBytes, .tooLarge, "b.bin"),
        (.lyingSize, .sizeMismatch, "big.txt"),
        (.badCRC, .corrupt, "data.bin"),
        (.notAZip, .corrupt, nil),
    ]

    /// On one thread and on three (each hostile zip of several files then has its files
    /// unpacked by different readers).
    @Test(arguments: hostileCases, [1, 3])
    func refusesHostileZipAndLeavesNothing(hostile: (HostileZip, ArchiveError.Code, String?), threads: Int) throws {
        let (kind, code, entry) = hostile
        let folder = try TemporaryDirectory()
        let zip = folder.url("hostile.zip")
        try kind.make(at: zip)
        let parent = folder.url("work")
        try FileManager.default.createDirectory(atPath: parent + "/inner", withIntermediateDirectories: true)
        let before = listing(folder.path)
        let limits = ExtractLimits(maxEntries: 3, maxBytes: 1_000_000, maxRatio: 100, ratioFloorBytes: 1 << 20)
        let bigLimits = ExtractLimits(maxBytes: 100 << 20)
        let error = try #require(throws: ArchiveError.self) {
            try extract(zip: zip, into: parent + "/inner/staging",
                        limits: [.ratioBomb, .bombBehindStoredEntry].contains(kind) ? bigLimits : limits,
                        skipCRC: false, threads: threads)
        }
        #expect(error.code == code, "\(error)")
        #expect(error.entry == entry, "\(error)")
        #expect(!exists(parent + "/inner/staging"))
        #expect(listing(folder.path) == before, "nothing written anywhere else")
        #expect(!exists("/tmp/ferry-absolute-escape.txt"))
    }

    @Test func withoutTheCRCCheckAChangedByteStillChangesTheDigest() throws {
        // skipCRC is for callers that compare every digest with a trusted list: the
        // damaged data is unpacked, and its SHA-256 is not the original's.
        let folder = try TemporaryDirectory()
        try HostileZip.badCRC.make(at: folder.url("bad.zip"))
        let files = try extract(zip: folder.url("bad.zip"), into: folder.url("out"), skipCRC: true)
        #expect(files.map(\.path) == ["data.bin"])
        #expect(files[0].size == 1000)
        #expect(files[0].sha256 != TestDigest.sha256(Data(repeating: UInt8(ascii: "A"), count: 1000)))
        #expect(files[0].sha256 == TestDigest.sha256(try Data(contentsOf: URL(fileURLWithPath: folder.url("out/data.bin")))))
    }

    @Test func manyFilesOnSeveralThreadsEachGetTheirOwnBytes() throws {
        let folder = try TemporaryDirectory()
        let contents = (0..<40).map { index in
            (String(format: "f/%03d.bin", index), index % 3 == 0 ? noise(300_000, seed: UInt64(index + 1))
                : Data(String(repeating: "line \(index)\n", count: 30_000).utf8))
        }
        try writeZip(entries: contents.map { ZipEntry(name: $0.0, source: .bytes($0.1)) }, to: folder.url("z.zip"),
                     mtime: Date())
        let files = try extract(zip: folder.url("z.zip"), into: folder.url("out"), limits: ExtractLimits(),
                                skipCRC: true, threads: 4)
        #expect(files.map(\.path) == contents.map(\.0))
        #expect(files.map(\.sha256) == contents.map { TestDigest.sha256($0.1) })
        for (name, data) in contents {
            #expect(FileManager.default.contents(atPath: folder.url("out/" + name)) == data, "\(name)")
        }
    }

    @Test func refusesAnExistingFolderAndKeepsIt() throws {
        let folder = try TemporaryDirectory()
        try writeZip(entries: [ZipEntry(name: "a", source: .bytes(Data("new".utf8)))], to: folder.url("z.zip"), mtime: Date())
        try folder.write("out/a", "mine")
        let error = try #require(throws: ArchiveError.self) { try extract(zip: folder.url("z.zip"), into: folder.url("out")) }
        #expect(error.code == .destinationExists)
        #expect(FileManager.default.contents(atPath: folder.url("out/a")) == Data("mine".utf8))
    }

    @Test func missingParentIsAnError() throws {
        let folder = try TemporaryDirectory()
        try writeZip(entries: [ZipEntry(name: "a", source: .bytes(Data()))], to: folder.url("z.zip"), mtime: Date())
        let error = try #require(throws: ArchiveError.self) { try extract(zip: folder.url("z.zip"), into: folder.url("no/such/out")) }
        #expect(error.code == .io && error.function == "realpath")
    }

    /// Zip cannot express a hard link, so this decision is tested on its own.
    @Test func hardLinkAndSymlinkEntriesAreRefused() throws {
        for kind in [RawEntry.Kind.hardlink, .symlink] {
            let raw = RawEntry(name: "x", kind: kind, permissions: 0o644, size: 0, linkTarget: "/etc/passwd")
            let error = try #require(throws: ArchiveError.self) { try EntryCheck.allow(raw, name: "x") }
            #expect(error.code == .link && error.entry == "x" && error.message.contains("/etc/passwd"))
        }
        for kind in [RawEntry.Kind.blockDevice, .socket, .unknown] {
            let raw = RawEntry(name: "x", kind: kind, permissions: 0o644, size: 0, linkTarget: nil)
            #expect(throws: ArchiveError.self) { try EntryCheck.allow(raw, name: "x") }
        }
    }

    @Test(arguments: [
        ("a", "a"), ("./a", "a"), ("a//b/", "a/b"), ("a/./b", "a/b"), ("ü/x", "ü/x"),
    ])
    func normalisesNames(name: String, normal: String) throws {
        #expect(try EntryName.normalise(name) == normal)
    }
}
