import Foundation

/// Zip headers store a modification time in MS-DOS form: local wall-clock fields with no
/// zone. libarchive fills them with `localtime_r`, so the same input gave different
/// bytes under another `TZ`. Changing `TZ` for the process would change it for every
/// thread, so instead, once libarchive has finished the zip, these fields are rewritten
/// in place with the UTC wall-clock of the fixed mtime. Nothing else in the file
/// depends on them (no checksum covers headers). The extended-timestamp field ("UT"),
/// which readers prefer, already holds the exact Unix time.
enum ZipTimestamps {
    /// MS-DOS date and time (`date << 16 | time`) of `secondsSinceEpoch` in UTC, clamped
    /// to 1980-01-01 … 2107-12-31 as libarchive does; seconds are rounded down to even.
    static func dosDateTime(utcSeconds: Int64) -> UInt32 {
        var time = time_t(utcSeconds)
        var fields = tm()
        gmtime_r(&time, &fields)
        if fields.tm_year < 80 { return 0x0021_0000 }
        if fields.tm_year > 207 { return 0xff9f_bf7d }
        let date = UInt32(fields.tm_year - 80) << 9 | UInt32(fields.tm_mon + 1) << 5 | UInt32(fields.tm_mday)
        let clock = UInt32(fields.tm_hour) << 11 | UInt32(fields.tm_min) << 5 | UInt32(fields.tm_sec / 2)
        return date << 16 | clock
    }

    /// Rewrites the date/time of every central-directory record and of the local header
    /// each one points to, in the finished zip open on `fd`.
    static func rewrite(fd: Int32, to dosTime: UInt32, path: String) throws(ArchiveError) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ioError("fstat", path) }
        let end = Int64(status.st_size)
        let eocd = try read(fd, at: end - 22, count: 22, path)
        guard le32(eocd, 0) == 0x0605_4b50 else { throw malformed(path, "no end-of-central-directory record") }
        var entries = Int64(le16(eocd, 10))
        var directorySize = Int64(le32(eocd, 12))
        var directoryOffset = Int64(le32(eocd, 16))
        if entries == 0xffff || directorySize == 0xffff_ffff || directoryOffset == 0xffff_ffff {
            let locator = try read(fd, at: end - 22 - 20, count: 20, path)
            guard le32(locator, 0) == 0x0706_4b50 else { throw malformed(path, "no zip64 locator") }
            let record = try read(fd, at: Int64(le64(locator, 8)), count: 56, path)
            guard le32(record, 0) == 0x0606_4b50 else { throw malformed(path, "no zip64 end record") }
            entries = Int64(le64(record, 32))
            directorySize = Int64(le64(record, 40))
            directoryOffset = Int64(le64(record, 48))
        }
        var directory = try read(fd, at: directoryOffset, count: Int(directorySize), path)
        var position = 0
        for _ in 0..<entries {
            guard position + 46 <= directory.count, le32(directory, position) == 0x0201_4b50 else {
                throw malformed(path, "central directory record \(position) is not where expected")
            }
            put32(&directory, position + 12, dosTime)
            let nameLength = Int(le16(directory, position + 28))
            let extraLength = Int(le16(directory, position + 30))
            let commentLength = Int(le16(directory, position + 32))
            var localOffset = Int64(le32(directory, position + 42))
            if localOffset == 0xffff_ffff {
                localOffset = try zip64LocalOffset(directory, record: position, extraAt: position + 46 + nameLength,
                                                   extraLength: extraLength, path)
            }
            let header = try read(fd, at: localOffset, count: 30, path)
            guard le32(header, 0) == 0x0403_4b50 else { throw malformed(path, "no local header at \(localOffset)") }
            var stamp = [UInt8](repeating: 0, count: 4)
            put32(&stamp, 0, dosTime)
            try write(fd, stamp, at: localOffset + 10, path)
            position += 46 + nameLength + extraLength + commentLength
        }
        try write(fd, directory, at: directoryOffset, path)
    }

    /// The local header offset from a record's zip64 extra field (id 1), whose 8-byte
    /// values appear only for the 32-bit fields that hold 0xffffffff, in order
    /// uncompressed size, compressed size, offset.
    private static func zip64LocalOffset(_ directory: [UInt8], record: Int, extraAt start: Int, extraLength: Int,
                                         _ path: String) throws(ArchiveError) -> Int64 {
        var field = start
        while field + 4 <= start + extraLength {
            let id = le16(directory, field), length = Int(le16(directory, field + 2))
            if id == 1 {
                var value = field + 4
                if le32(directory, record + 24) == 0xffff_ffff { value += 8 }
                if le32(directory, record + 20) == 0xffff_ffff { value += 8 }
                guard value + 8 <= field + 4 + length else { break }
                return Int64(le64(directory, value))
            }
            field += 4 + length
        }
        throw malformed(path, "a zip64 record has no offset")
    }

    private static func read(_ fd: Int32, at offset: Int64, count: Int, _ path: String) throws(ArchiveError) -> [UInt8] {
        guard offset >= 0 else { throw malformed(path, "an offset points before the start") }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard got == count else { throw ioError("pread", path) }
        return bytes
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, _ path: String) throws(ArchiveError) {
        let done = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard done == bytes.count else { throw ioError("pwrite", path) }
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16 }
    private static func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32 }

    private static func put32(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[at + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    private static func malformed(_ path: String, _ what: String) -> ArchiveError {
        ArchiveError(.library, "libarchive wrote a zip Ferry cannot read back (\(what)): \(path)")
    }
}

/// An `.io` error from a libc call, with `strerror(errno)`.
func ioError(_ function: String, _ path: String, entry: String? = nil) -> ArchiveError {
    ArchiveError(.io, "\(function) failed on \(path)", entry: entry, function: function, cause: String(cString: strerror(errno)))
}
