import Foundation

/// The records of a zip file (APPNOTE.TXT 6.3), as Ferry writes them: no I/O, no clock,
/// no time zone. Every entry's record says "Unix, zip 2.0", mode 0644 or 0755, the one
/// fixed time as MS-DOS fields of the UTC wall clock plus the exact Unix time in an
/// extended-timestamp field ("UT", which readers prefer), and the UTF-8 flag for
/// non-ASCII names. Sizes and CRC go into the local header (the data is compressed
/// before it is written): no data descriptors.
enum ZipRecords {
    /// One entry as the central directory lists it.
    struct Entry {
        var name: [UInt8]
        var executable: Bool
        var deflated: Bool
        var crc32: UInt32
        var compressedSize: UInt32
        var size: UInt32
        var localHeaderOffset: UInt32
    }

    /// Above this many entries, the end record moves to its zip64 form.
    static let maxPlainEntries = 0xffff
    /// The largest size or offset a 32-bit field holds (0xffffffff means "see zip64").
    static let max32 = Int64(0xffff_fffe)

    /// MS-DOS date and time (`date << 16 | time`) of `utcSeconds` in UTC, clamped to
    /// 1980-01-01 … 2107-12-31; seconds are rounded down to even.
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

    /// The local file header of `entry`.
    static func localHeader(_ entry: Entry, dosTime: UInt32, unixTime: UInt32, into out: inout [UInt8]) {
        put32(&out, 0x0403_4b50)
        put16(&out, 20)  // version needed: 2.0 (deflate)
        common(entry, dosTime: dosTime, into: &out)
        put16(&out, UInt16(entry.name.count))
        put16(&out, 9)
        out.append(contentsOf: entry.name)
        timestamp(unixTime, into: &out)
    }

    /// The central directory record of `entry`.
    static func centralRecord(_ entry: Entry, dosTime: UInt32, unixTime: UInt32, into out: inout [UInt8]) {
        put32(&out, 0x0201_4b50)
        put16(&out, 0x0314)  // made by: Unix, 2.0
        put16(&out, 20)
        common(entry, dosTime: dosTime, into: &out)
        put16(&out, UInt16(entry.name.count))
        put16(&out, 9)
        put16(&out, 0)  // comment length
        put16(&out, 0)  // disk
        put16(&out, 0)  // internal attributes
        put32(&out, UInt32(entry.executable ? 0o100755 : 0o100644) << 16)
        put32(&out, entry.localHeaderOffset)
        out.append(contentsOf: entry.name)
        timestamp(unixTime, into: &out)
    }

    /// The end of the zip: a zip64 end record and locator when there are more than
    /// `maxPlainEntries` entries, then the end-of-central-directory record.
    static func end(entries: Int, directoryOffset: UInt32, directorySize: UInt32, into out: inout [UInt8]) {
        if entries >= maxPlainEntries {
            let recordOffset = UInt64(directoryOffset) + UInt64(directorySize)
            put32(&out, 0x0606_4b50)
            put64(&out, 44)  // the record's size after this field
            put16(&out, 0x032d)  // made by: Unix, 4.5
            put16(&out, 45)  // version needed: zip64
            put32(&out, 0)
            put32(&out, 0)
            put64(&out, UInt64(entries))
            put64(&out, UInt64(entries))
            put64(&out, UInt64(directorySize))
            put64(&out, UInt64(directoryOffset))
            put32(&out, 0x0706_4b50)
            put32(&out, 0)
            put64(&out, recordOffset)
            put32(&out, 1)
        }
        let count = UInt16(min(entries, maxPlainEntries))
        put32(&out, 0x0605_4b50)
        put16(&out, 0)
        put16(&out, 0)
        put16(&out, count)
        put16(&out, count)
        put32(&out, directorySize)
        put32(&out, directoryOffset)
        put16(&out, 0)  // comment length
    }

    /// The fields local header and central record share, from "flags" to "uncompressed size".
    private static func common(_ entry: Entry, dosTime: UInt32, into out: inout [UInt8]) {
        put16(&out, entry.name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800)
        put16(&out, entry.deflated ? 8 : 0)
        put32(&out, dosTime)  // time (low half), then date
        put32(&out, entry.crc32)
        put32(&out, entry.compressedSize)
        put32(&out, entry.size)
    }

    /// The extended-timestamp extra field ("UT"): modification time only.
    private static func timestamp(_ unixTime: UInt32, into out: inout [UInt8]) {
        put16(&out, 0x5455)
        put16(&out, 5)
        out.append(1)
        put32(&out, unixTime)
    }

    static func put16(_ out: inout [UInt8], _ value: UInt16) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    static func put32(_ out: inout [UInt8], _ value: UInt32) {
        put16(&out, UInt16(truncatingIfNeeded: value))
        put16(&out, UInt16(truncatingIfNeeded: value >> 16))
    }

    static func put64(_ out: inout [UInt8], _ value: UInt64) {
        put32(&out, UInt32(truncatingIfNeeded: value))
        put32(&out, UInt32(truncatingIfNeeded: value >> 32))
    }
}
