import Basics

/// The rules for names inside a Ferry zip, shared by the writer (which refuses to
/// write what the extractor would refuse) and the extractor.
enum EntryName {
    /// The normal form of `name`: `/`-separated, no empty or `.` components, no
    /// trailing slash. Throws `.unsafePath` for an empty name, an absolute name, a `..`
    /// component, a backslash or a NUL.
    static func normalise(_ name: String) throws(ArchiveError) -> String {
        func refuse(_ why: String) -> ArchiveError {
            ArchiveError(.unsafePath, "entry '\(name)' \(why): the zip is refused", entry: name)
        }
        if name.isEmpty { throw refuse("has an empty name") }
        if name.utf8.first == UInt8(ascii: "/") { throw refuse("is an absolute path") }
        if name.utf8.contains(UInt8(ascii: "\\")) { throw refuse("holds a backslash (a Windows path separator)") }
        if name.utf8.contains(0) { throw refuse("holds a NUL byte") }
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." { throw refuse("climbs out of its folder with '..'") }
            parts.append(part)
        }
        if parts.isEmpty { throw refuse("names no file") }
        return parts.joined(separator: "/")
    }

    /// Byte order of UTF-8, the order entries are written in.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8Precedes(rhs)
    }
}
