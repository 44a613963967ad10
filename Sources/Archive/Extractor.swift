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
/// `limits.maxRatio`, data longer or shorter than its header says, a bad CRC. On any
/// refusal or error the folder is removed entirely: nothing is left behind.
///
/// Files are created with `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` under folders Ferry made
/// itself, and hashed (SHA-256) from the same buffers that are written. Folder entries
/// are allowed and created; no file is written for them.
/// The corresponding C functions are `archive_read_next_header` and `archive_read_data_block`.
public func extract(zip path: String, into folder: String, limits: ExtractLimits = ExtractLimits())
    throws(ArchiveError) -> [ExtractedFile] {
    let staging = try StagingFolder(creating: folder)
    do throws(ArchiveError) {
        let reader = try ArchiveReadHandle(path: path)
        var status = stat()
        guard stat(path, &status) == 0 else { throw ioError("stat", path) }
        var unpack = Unpacking(reader: reader, staging: staging, limits: limits, zipSize: max(Int64(status.st_size), 1))
        let files = try unpack.run()
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

/// One pass over the entries, with the running totals the limits are checked against.
private struct Unpacking {
    let reader: ArchiveReadHandle
    let staging: StagingFolder
    let limits: ExtractLimits
    let zipSize: Int64
    var names = NameBook()
    var entryCount = 0
    var totalBytes: Int64 = 0

    mutating func run() throws(ArchiveError) -> [ExtractedFile] {
        var files: [ExtractedFile] = []
        while let raw = try reader.nextEntry() {
            entryCount += 1
            let shown = raw.name ?? "(name is not UTF-8)"
            guard entryCount <= limits.maxEntries else {
                throw ArchiveError(.tooManyEntries, "the zip has more than \(limits.maxEntries) entries: refused", entry: shown)
            }
            guard let name = raw.name else {
                throw ArchiveError(.unsafePath, "an entry name is not valid UTF-8: refused", entry: shown)
            }
            try EntryCheck.allow(raw, name: name)
            let normal = try EntryName.normalise(name)
            try names.add(normal, isDirectory: raw.kind == .directory, entry: name)
            if raw.kind == .directory {
                _ = try staging.directory(normal, entry: name)
                continue
            }
            files.append(try unpackFile(raw, name: name, normal: normal))
        }
        return files
    }

    private mutating func unpackFile(_ raw: RawEntry, name: String, normal: String) throws(ArchiveError) -> ExtractedFile {
        guard let declared = raw.size, declared >= 0 else {
            throw ArchiveError(.sizeMismatch, "entry \(name) declares no size: refused", entry: name)
        }
        guard declared <= limits.maxBytes - totalBytes else {
            throw ArchiveError(.tooLarge, "entry \(name) would take the zip past \(limits.maxBytes) bytes: refused", entry: name)
        }
        let executable = raw.permissions & 0o111 != 0
        let fd = try staging.createFile(normal, mode: executable ? 0o755 : 0o644, entry: name)
        var hasher = SHA256()
        var written: Int64 = 0
        let packedStart = reader.consumedBytes
        do throws(ArchiveError) {
            while try reader.readBlock(entry: name, { (bytes, offset) throws(ArchiveError) in
                guard offset == written else {
                    throw ArchiveError(.corrupt, "entry \(name) has a hole in its data: refused", entry: name)
                }
                // libarchive consumes a block's packed bytes when the next one is asked for, so
                // the packed count matches what was unpacked *before* this block.
                let packed = reader.consumedBytes - packedStart
                try checkRatio(name: name, unpacked: written, packed: packed)
                written += Int64(bytes.count)
                totalBytes += Int64(bytes.count)
                try checkSizes(name: name, declared: declared, written: written)
                hasher.update(bufferPointer: bytes)
                try writeAll(fd, bytes, name: name, path: normal)
            }) {}
            guard written == declared else {
                throw ArchiveError(.sizeMismatch, "entry \(name) holds \(written) bytes but its header says \(declared): refused",
                                   entry: name)
            }
            guard close(fd) == 0 else { throw ioError("close", normal, entry: name) }
        } catch {
            close(fd)
            throw error
        }
        return ExtractedFile(path: normal, size: written, sha256: hexDigest(hasher.finalize()), executable: executable)
    }

    /// The size caps, on the bytes actually unpacked so far.
    private func checkSizes(name: String, declared: Int64, written: Int64) throws(ArchiveError) {
        if written > declared {
            throw ArchiveError(.sizeMismatch, "entry \(name) unpacks to more than the \(declared) bytes its header says: refused",
                               entry: name)
        }
        if totalBytes > limits.maxBytes {
            throw ArchiveError(.tooLarge, "the zip unpacks to more than \(limits.maxBytes) bytes: refused", entry: name)
        }
        if totalBytes > limits.ratioFloorBytes, Double(totalBytes) > limits.maxRatio * Double(zipSize) {
            throw ArchiveError(.compressionRatio, "the zip expands more than \(ratioText)x its size (a zip bomb?): refused",
                               entry: name)
        }
    }

    /// The entry's ratio: `unpacked` bytes came out of `packed` bytes of the zip.
    private func checkRatio(name: String, unpacked: Int64, packed: Int64) throws(ArchiveError) {
        if unpacked > limits.ratioFloorBytes, Double(unpacked) > limits.maxRatio * Double(max(packed, 1)) {
            throw ArchiveError(.compressionRatio, "entry \(name) expands more than \(ratioText)x (a zip bomb?): refused",
                               entry: name)
        }
    }

    private var ratioText: String { String(format: "%g", limits.maxRatio) }
}

/// Which entry kinds may be unpacked: regular files and folders, nothing else.
enum EntryCheck {
    static func allow(_ raw: RawEntry, name: String) throws(ArchiveError) {
        switch raw.kind {
        case .regular, .directory:
            return
        case .symlink, .hardlink:
            let kind = raw.kind == .symlink ? "a symbolic link" : "a hard link"
            let target = raw.linkTarget.map { " to '\($0)'" } ?? ""
            throw ArchiveError(.link, "entry \(name) is \(kind)\(target); bundles carry regular files only: refused", entry: name)
        case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
            throw ArchiveError(.unsupportedEntryType,
                               "entry \(name) is a device, FIFO or socket; bundles carry regular files only: refused", entry: name)
        }
    }
}

/// Every name seen so far, to refuse duplicates and files where folders are needed.
struct NameBook {
    private var files: Set<String> = []
    private var folders: Set<String> = []
    private var declaredFolders: Set<String> = []

    mutating func add(_ path: String, isDirectory: Bool, entry: String) throws(ArchiveError) {
        func clash(_ what: String) -> ArchiveError {
            ArchiveError(.duplicateEntry, "entry \(entry) \(what): refused", entry: entry)
        }
        if files.contains(path) || declaredFolders.contains(path) { throw clash("appears twice (as \(path))") }
        if !isDirectory, folders.contains(path) { throw clash("is a file where other entries need a folder") }
        var parent = Substring(path)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            if files.contains(String(parent)) { throw clash("needs \(parent) to be a folder, but it is a file") }
            folders.insert(String(parent))
        }
        if isDirectory {
            declaredFolders.insert(path)
            folders.insert(path)
        } else {
            files.insert(path)
        }
    }
}

private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String, path: String) throws(ArchiveError) {
    var done = 0
    while done < bytes.count {
        let result = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if result < 0 {
            if errno == EINTR { continue }
            throw ioError("write", path, entry: name)
        }
        done += result
    }
}
