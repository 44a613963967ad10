import Crypto
import Foundation

/// Caps on what one zip may unpack to. Every cap is checked against the bytes actually
/// written, not only the sizes the headers declare.
public struct ExtractLimits: Sendable, Hashable {
    /// Most entries (files and folders) the zip may hold.
    public var maxEntries: Int
    /// Most bytes all files together may unpack to.
    public var maxBytes: Int64
    /// Highest ratio of unpacked to packed bytes, per entry and for the whole zip.
    public var maxRatio: Double
    /// Ratios are checked once an entry (or the whole zip) has unpacked this many
    /// bytes: small files of repetitive text legitimately compress very well.
    public var ratioFloorBytes: Int64

    public init(maxEntries: Int = 10_000, maxBytes: Int64 = 2 << 30, maxRatio: Double = 100,
                ratioFloorBytes: Int64 = 1 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.maxRatio = maxRatio
        self.ratioFloorBytes = ratioFloorBytes
    }
}

/// A file written by `extract`, with the digest computed while it was written.
public struct ExtractedFile: Sendable, Hashable {
    /// The normalised path relative to the extraction folder, `/`-separated.
    public let path: String
    public let size: Int64
    /// SHA-256 of the content, 64 lowercase hex digits.
    public let sha256: String
    /// True when the entry's mode had an execute bit; written 0755, else 0644.
    public let executable: Bool

    public init(path: String, size: Int64, sha256: String, executable: Bool) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.executable = executable
    }
}

/// Unpacks the zip at `path` into `folder`, which must not exist: it is created (mode
/// 0700) inside the `realpath` of its parent. Returns every file written, sorted by path.
///
/// Refused, each with a typed error naming the entry: absolute names, `..`, backslashes,
/// symbolic and hard links, devices, FIFOs and sockets, duplicate names (also after
/// normalising `./a`, `a//b`, or a file where a folder is needed), more entries than
/// `limits.maxEntries`, more bytes than `limits.maxBytes`, a ratio above
/// `limits.maxRatio`, data longer or shorter than its header says, a bad CRC (unless
/// `skipCRC`). On any refusal or error the folder is removed entirely: nothing is left
/// behind.
///
/// Every header is checked before any file is written (`ExtractionPlan`); then the files
/// are unpacked, large zips on several threads, each with its own reader, each file
/// hashed (SHA-256) from the same buffers that are written (`FileUnpacker`). Files are
/// created with `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` under folders Ferry made itself.
/// Folder entries are allowed and created; no file is written for them.
///
/// `skipCRC`: libarchive checks no CRC-32 (`zip:ignorecrc32`). Only for a caller that
/// compares every returned `sha256` with a list it trusts — the agent and `ferry verify`
/// check each file against the signed manifest, which a changed byte fails far more
/// surely than a CRC-32 (a checksum anyone can recompute, so no defence against an
/// attacker anyway). The size and ratio limits hold either way.
/// The corresponding C functions are `archive_read_next_header` and `archive_read_data_block`.
public func extract(zip path: String, into folder: String, limits: ExtractLimits = ExtractLimits(),
                    skipCRC: Bool = false) throws(ArchiveError) -> [ExtractedFile] {
    try extract(zip: path, into: folder, limits: limits, skipCRC: skipCRC, threads: nil)
}

/// `extract`, on `threads` threads (nil: `FileUnpacker.threads(for:)`).
func extract(zip path: String, into folder: String, limits: ExtractLimits, skipCRC: Bool,
             threads: Int?) throws(ArchiveError) -> [ExtractedFile] {
    let staging = try StagingFolder(creating: folder)
    do throws(ArchiveError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ioError("stat", path) }
        let plan = try ExtractionPlan.scan(zip: path, staging: staging, limits: limits,
                                           zipSize: max(Int64(status.st_size), 1))
        let unpacker = FileUnpacker(zip: path, plan: plan, staging: staging, limits: limits, skipCRC: skipCRC)
        let files = try unpacker.run(threads: threads ?? FileUnpacker.threads(for: plan))
        staging.closeFolders()
        return files.sorted { EntryName.precedes($0.path, $1.path) }
    } catch {
        staging.remove()
        throw error
    }
}

/// The entries of the zip at `path`, in the zip's order, without unpacking anything
/// (for `ferry verify`). Names are as stored; nothing is refused except a damaged zip.
public func listEntries(zip path: String) throws(ArchiveError) -> [ZipListEntry] {
    let reader = try ArchiveReadHandle(path: path)
    var entries: [ZipListEntry] = []
    while let raw = try reader.nextEntry() {
        let name = raw.name ?? "(name is not UTF-8)"
        let kind: ZipListEntry.Kind = switch raw.kind {
        case .regular: .file
        case .directory: .directory
        case .symlink, .hardlink: .link
        default: .other
        }
        entries.append(ZipListEntry(name: name, size: raw.size, kind: kind, executable: raw.permissions & 0o111 != 0))
        try reader.skipData(entry: name)
    }
    return entries
}

/// One entry as `listEntries` reports it.
public struct ZipListEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case file, directory, link, other }
    public let name: String
    /// The uncompressed size the zip declares.
    public let size: Int64?
    public let kind: Kind
    public let executable: Bool
}
