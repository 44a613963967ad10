import Archive
import Foundation
import TestSupport
import Testing

/// 2023-11-14T22:13:20Z: in Tokyo (UTC+9) it is already the 15th.
private let commitTime = Date(timeIntervalSince1970: 1_700_000_000)

/// Serialises the tests that change process-wide settings (TZ, umask).
private let processSettings = NSLock()

private func sampleFiles(in folder: TemporaryDirectory, modes: (plain: mode_t, script: mode_t)) throws -> [ZipEntry] {
    let script = try folder.write("src/run.sh", "#!/bin/sh\necho hi\n")
    let text = try folder.write("src/templates/main.yaml", String(repeating: "Resources: {}\n", count: 500))
    let blob = folder.url("src/blob.bin")
    try noise(300_000).write(to: URL(fileURLWithPath: blob))
    chmod(script, modes.script)
    chmod(text, modes.plain)
    chmod(blob, modes.plain)
    return [
        ZipEntry(name: "templates/main.yaml", source: .file(text)),
        ZipEntry(name: "bin/run.sh", source: .file(script), executable: true),
        ZipEntry(name: "data/blob.bin", source: .file(blob), compression: .store),
        ZipEntry(name: "données/résumé.txt", source: .bytes(Data("naïve\n".utf8))),
        ZipEntry(name: "empty", source: .bytes(Data())),
    ]
}

private func withTimeZone<T>(_ zone: String, _ body: () throws -> T) rethrows -> T {
    let old = getenv("TZ").map { String(cString: $0) }
    setenv("TZ", zone, 1)
    tzset()
    defer {
        if let old { setenv("TZ", old, 1) } else { unsetenv("TZ") }
        tzset()
    }
    return try body()
}

/// The local hour of `commitTime` in the current zone, to prove a zone switch took effect.
private func localHour() -> Int32 {
    var time = time_t(1_700_000_000)
    var fields = tm()
    localtime_r(&time, &fields)
    return fields.tm_hour
}

@Suite(.serialized) struct ZipWriterTests {
    @Test func sameInputsGiveIdenticalBytesAcrossTimeZonesUmasksAndOrder() throws {
        processSettings.lock()
        defer { processSettings.unlock() }
        let folder = try TemporaryDirectory()
        let first = folder.url("utc.zip"), second = folder.url("tokyo.zip")

        let entriesA = try sampleFiles(in: folder, modes: (0o644, 0o755))
        let utcHour = try withTimeZone("UTC") { () throws -> Int32 in
            try writeZip(entries: entriesA, to: first, mtime: commitTime)
            return localHour()
        }
        // Same content, other on-disk modes, reversed order, other umask and zone.
        let other = try TemporaryDirectory()
        let entriesB = try sampleFiles(in: other, modes: (0o600, 0o700)).reversed()
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        let tokyoHour = try withTimeZone("Asia/Tokyo") { () throws -> Int32 in
            try writeZip(entries: Array(entriesB), to: second, mtime: commitTime)
            return localHour()
        }
        #expect(utcHour == 22 && tokyoHour == 7, "the time zone switch must be real for this test to mean anything")
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: first))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(bytesA.count > 300_000)
        #expect(bytesA == bytesB)
        #expect(!exists(first + ".partial") && !exists(second + ".partial"))
    }

    @Test func pythonAndUnzipReadItAsIntended() throws {
        let folder = try TemporaryDirectory()
        let zip = folder.url("out.zip")
        let written = try writeZip(entries: try sampleFiles(in: folder, modes: (0o644, 0o755)), to: zip, mtime: commitTime)
        #expect(written.files.map(\.name) == ["bin/run.sh", "data/blob.bin", "donn\u{e9}es/r\u{e9}sum\u{e9}.txt", "empty", "templates/main.yaml"])
        let report = try runPython(#"""
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.flag_bits & 0x800, list(i.date_time), oct(i.external_attr >> 16), i.compress_type,
                   i.file_size, z.read(i.filename).decode("latin-1")[:12]] for i in z.infolist()], ensure_ascii=False))
"""#, [zip])
        let rows = try JSONSerialization.jsonObject(with: Data(report.utf8)) as! [[Any]]
        let utc: [Int] = [2023, 11, 14, 22, 13, 20]
        #expect(rows.map { $0[0] as! String } == written.files.map(\.name))  // sorted, no folder entries
        for row in rows {
            let name = row[0] as! String
            #expect(row[1] as! Int == (name.utf8.allSatisfy { $0 < 128 } ? 0 : 0x800), "UTF-8 flag of \(name)")
            #expect(row[2] as! [Int] == utc, "DOS time of \(name) is the UTC wall clock")
            #expect(row[3] as! String == (name == "bin/run.sh" ? "0o100755" : "0o100644"))
            // Stored: asked for (blob.bin), or where deflate would not be smaller (empty, 7 and 18 bytes).
            let stored = ["data/blob.bin", "empty", "donn\u{e9}es/r\u{e9}sum\u{e9}.txt", "bin/run.sh"].contains(name)
            #expect(row[4] as! Int == (stored ? 0 : 8), "store vs deflate for \(name)")
        }
        #expect(rows[2][6] as! String == "na\u{c3}\u{af}ve\n")  // UTF-8 bytes read back as latin-1
        let listing = try run(["unzip", "-l", zip])
        #expect(listing.contains("templates/main.yaml") && listing.contains("5 files"))
        #expect(try run(["unzip", "-tq", zip]).contains("No errors detected"))
        let details = try run(["zipinfo", "-l", zip])
        #expect(!details.contains("/ ") && !details.contains(" dr"), "no directory entries: \(details)")
    }

    @Test func reportsSizesOfWhatItWroteAndUnpacksToTheSameBytes() throws {
        let folder = try TemporaryDirectory()
        let data = noise(2_500_000, seed: 7)
        let writer = try ZipWriter(path: folder.url("z.zip"), mtime: commitTime)
        let file = try writer.add(name: "a.bin", data: data)
        try writer.close()
        #expect(file == ZippedFile(name: "a.bin", size: 2_500_000, executable: false))
        let sha256 = TestDigest.sha256(data)
        let extracted = try extract(zip: folder.url("z.zip"), into: folder.url("out"))
        #expect(extracted == [ExtractedFile(path: "a.bin", size: 2_500_000, sha256: sha256, executable: false)])
    }

    @Test(arguments: [
        ("../up", ArchiveError.Code.unsafePath), ("/abs", .unsafePath), ("a//b", .unsafePath), ("./a", .unsafePath),
        ("a\\b", .unsafePath), ("dir/", .unsafePath), ("", .unsafePath),
    ])
    func refusesNamesTheExtractorWouldRefuse(name: String, code: ArchiveError.Code) throws {
        let folder = try TemporaryDirectory()
        let writer = try ZipWriter(path: folder.url("z.zip"), mtime: commitTime)
        let error = try #require(throws: ArchiveError.self) { try writer.add(name: name, data: Data("x".utf8)) }
        #expect(error.code == code)
        _ = consume writer
        #expect(listing(folder.path).isEmpty, "a dropped writer leaves nothing: \(listing(folder.path))")
    }

    @Test func refusesUnsortedAndDuplicateEntries() throws {
        let folder = try TemporaryDirectory()
        let writer = try ZipWriter(path: folder.url("z.zip"), mtime: commitTime)
        try writer.add(name: "b", data: Data("b".utf8))
        let unsorted = try #require(throws: ArchiveError.self) { try writer.add(name: "a", data: Data()) }
        #expect(unsorted.code == .unsortedEntries && unsorted.entry == "a")
        let duplicate = try #require(throws: ArchiveError.self) { try writer.add(name: "b", data: Data()) }
        #expect(duplicate.code == .duplicateEntry)
        // A refused name writes nothing, so the writer carries on.
        try writer.add(name: "c", data: Data("c".utf8))
        try writer.close()
        #expect(try listEntries(zip: folder.url("z.zip")).map(\.name) == ["b", "c"])
        #expect(listing(folder.path) == ["z.zip"])

        let viaWriteZip = try #require(throws: ArchiveError.self) {
            try writeZip(entries: [ZipEntry(name: "x", source: .bytes(Data())), ZipEntry(name: "x", source: .bytes(Data()))],
                         to: folder.url("d.zip"), mtime: commitTime)
        }
        #expect(viaWriteZip.code == .duplicateEntry)
        #expect(listing(folder.path) == ["z.zip"], "the failed zip left nothing")
    }

    @Test func moreThan65535EntriesUseZip64AndKeepUTCTimes() throws {
        // Past 65,535 entries the end record moves to its zip64 form: the time fix must follow it.
        let folder = try TemporaryDirectory()
        let zip = folder.url("many.zip")
        processSettings.lock()
        defer { processSettings.unlock() }
        try withTimeZone("Asia/Tokyo") {
            let writer = try ZipWriter(path: zip, mtime: commitTime)
            for index in 0..<66_000 { try writer.add(name: String(format: "f%05d", index), data: Data(), compression: .store) }
            try writer.close()
        }
        let report = try runPython(#"""
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
infos = z.infolist()
zip64 = open(sys.argv[1], "rb").read()[-42:-38] == b"PK\x06\x07"
print(len(infos), len({i.date_time for i in infos}), infos[-1].date_time, zip64)
"""#, [zip])
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines) == "66000 1 (2023, 11, 14, 22, 13, 20) True")
    }

    /// The same entries, written to a file, kept in memory, or kept until they outgrow a
    /// limit and then written on: the same bytes and digest.
    @Test(arguments: [0, 1 << 30, 100_000])
    func aZipKeptInMemoryHasTheBytesOfTheFileAndSpillsPastItsLimit(limit: Int) throws {
        let folder = try TemporaryDirectory()
        let entries: [(String, Data, ZipCompression)] = [
            ("a.txt", Data(String(repeating: "Resources: {}\n", count: 20_000).utf8), .deflate),
            ("b.bin", noise(1_500_000, seed: 3), .store), ("c/small.txt", Data("hi\n".utf8), .deflate),
        ]
        func write(_ path: String, memoryLimit: Int) throws -> WrittenZip {
            let writer = try ZipWriter(path: path, mtime: commitTime, memoryLimit: memoryLimit)
            for (name, data, compression) in entries { try writer.add(name: name, data: data, compression: compression) }
            return try writer.close()
        }
        let reference = try write(folder.url("file.zip"), memoryLimit: 0)
        let expected = try Data(contentsOf: URL(fileURLWithPath: folder.url("file.zip")))
        #expect(reference.bytes == nil && reference.sha256 == TestDigest.sha256(expected))

        let written = try write(folder.url("other.zip"), memoryLimit: limit)
        #expect(written.sha256 == reference.sha256 && written.size == expected.count)
        if limit > expected.count {
            #expect(written.bytes == expected)
            #expect(!FileManager.default.fileExists(atPath: folder.url("other.zip")), "kept in memory: no file")
        } else {
            #expect(written.bytes == nil)
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder.url("other.zip"))) == expected)
        }
        #expect(listing(folder.path).allSatisfy { !$0.hasSuffix(".partial") })
    }

    @Test func missingSourceFileIsAnErrorAndLeavesNothing() throws {
        let folder = try TemporaryDirectory()
        let error = try #require(throws: ArchiveError.self) {
            try writeZip(entries: [ZipEntry(name: "a", source: .file(folder.url("nope")))], to: folder.url("z.zip"), mtime: commitTime)
        }
        #expect(error.code == .io && error.function == "open" && error.entry == "a")
        #expect(listing(folder.path).isEmpty)
    }
}
