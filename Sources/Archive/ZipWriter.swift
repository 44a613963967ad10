import Basics
import Crypto
import Foundation

/// How an entry's bytes are stored.
public enum ZipCompression: Sendable, Hashable {
    /// Deflate, unless that would not make the entry smaller (then stored): for text,
    /// templates, code.
    case deflate
    /// Stored as is: for content that is already compressed (zips, images), much faster.
    case store
}

/// A file written into a zip. (Its digest is the caller's to compute, where it needs
/// one: the manifest hashes bundle files itself, and artifact zips need none per file.)
public struct ZippedFile: Sendable, Hashable {
    /// The name in the zip.
    public let name: String
    /// The uncompressed size in bytes.
    public let size: Int64
    public let executable: Bool

    public init(name: String, size: Int64, executable: Bool) {
        self.name = name
        self.size = size
        self.executable = executable
    }
}

/// Memory shared by several writers keeping zips in memory (see `ZipWriter`'s `memory`):
/// a writer takes bytes as its zip grows and gives them back when it goes to its file
/// instead, or fails. A zip returned in memory keeps what it took; its owner gives it
/// back when done with the bytes.
public protocol ZipMemoryBudget: Sendable {
    /// Takes `bytes` if the budget has them; false leaves it unchanged.
    func take(_ bytes: Int) -> Bool
    func give(_ bytes: Int)
}

/// A finished zip: its SHA-256 and size (hashed while it was written) and its entries.
public struct WrittenZip: Sendable, Hashable {
    public let sha256: String
    public let size: Int
    public let files: [ZippedFile]
    /// The zip's bytes, when a writer with a `memoryLimit` kept them in memory (then no
    /// file was written); nil when the zip is the file at the writer's path.
    public let bytes: Data?
}

/// Writes a deterministic zip: the same entries and mtime give the same bytes, whatever
/// the time zone, umask, user or order of the files on disk (and for a given libdeflate
/// version, whatever the machine).
///
/// - Entries must be added in byte order of their names (`.unsortedEntries` otherwise;
///   `writeZip` sorts for you). Names are `/`-separated relative paths; no folder
///   entries are written (folders are implied by the names, as Lambda and
///   `aws cloudformation package` expect).
/// - Every entry: regular file, mode 0644 or 0755, the one fixed mtime, UTF-8 name flag
///   for non-ASCII names, deflated (libdeflate) or stored (`ZipRecords`). A `.deflate`
///   entry that deflate would not shrink (empty, tiny, random) is stored.
/// - Entries and the zip are limited to 4 GiB (`.tooLarge`: no zip64 sizes); past 65,535
///   entries the end record takes its zip64 form.
/// - The zip is written to `<path>.partial` and renamed to `path` by `close()`. If
///   `close()` is never reached (an error, or the writer is dropped), the partial file
///   is removed: nothing half-written is left.
/// - With a `memoryLimit`, the zip is kept in memory (`WrittenZip.bytes`) and no file is
///   written, unless it grows past the limit, or past what a shared `memory` budget
///   gives it: then it goes on into `<path>.partial` as above. (Writing a file costs a copy into the page cache: for a zip that is uploaded
///   and dropped, about as much CPU as libdeflate's fastest level on text.)
///
/// Entries can be compressed ahead, on other threads, with a `ZipCompressor` each.
public struct ZipWriter: ~Copyable {
    private let state: ZipWriterState

    /// Starts writing the zip that `close()` will put at `path` (replacing a file there).
    /// `mtime` is every entry's modification time: use the commit time, not the clock.
    /// `deflate` is the level of the `.deflate` entries this writer compresses itself.
    /// `durable`: `close()` flushes the zip to disk (`fsync`) before the rename; without
    /// it a crash may lose a zip whose rename survived (for a cache whose readers check
    /// what they take).
    /// `memoryLimit`: keep the zip in memory up to this many bytes (0: write the file),
    /// each byte taken from `memory` when given.
    public init(path: String, mtime: Date, deflate: DeflateLevel = .standard, durable: Bool = true,
                memoryLimit: Int = 0, memory: (any ZipMemoryBudget)? = nil) throws(ArchiveError) {
        state = try ZipWriterState(path: path, mtime: Int64(mtime.timeIntervalSince1970.rounded(.down)), deflate: deflate,
                                   durable: durable, memoryLimit: memoryLimit, budget: memory)
    }

    /// Adds an entry with the given bytes.
    @discardableResult
    public func add(name: String, data: Data, executable: Bool = false,
                    compression: ZipCompression = .deflate) throws(ArchiveError) -> ZippedFile {
        try state.add(state.compressor().compress(name: name, data: data, executable: executable, compression: compression))
    }

    /// Adds an entry whose content is the file at `path`, read whole. The file must be a
    /// regular file and must not change while it is read.
    @discardableResult
    public func add(name: String, contentsOfFile path: String, executable: Bool = false,
                    compression: ZipCompression = .deflate) throws(ArchiveError) -> ZippedFile {
        let data = try readRegularFile(path, entry: name)
        return try add(name: name, data: data, executable: executable, compression: compression)
    }

    /// Adds an entry a `ZipCompressor` made.
    @discardableResult
    public func add(_ entry: CompressedEntry) throws(ArchiveError) -> ZippedFile {
        try state.add(entry)
    }

    /// Finishes the zip: writes the central directory, flushes to disk (`fsync`, when
    /// durable) and renames `<path>.partial` to `path`. On failure the partial file is
    /// removed. A zip kept in memory is returned in `bytes`, and nothing is written.
    @discardableResult
    public consuming func close() throws(ArchiveError) -> WrittenZip {
        try state.finish()
    }
}

/// One entry for `writeZip`.
public struct ZipEntry: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case file(String)
        case bytes(Data)
    }

    public let name: String
    public let source: Source
    public let executable: Bool
    public let compression: ZipCompression

    public init(name: String, source: Source, executable: Bool = false, compression: ZipCompression = .deflate) {
        self.name = name
        self.source = source
        self.executable = executable
        self.compression = compression
    }
}

/// Writes `entries` (in any order: they are sorted by name) into a deterministic zip at
/// `path`, all with modification time `mtime`. See `ZipWriter` (and its `durable`).
@discardableResult
public func writeZip(entries: [ZipEntry], to path: String, mtime: Date, durable: Bool = true) throws(ArchiveError) -> WrittenZip {
    let writer = try ZipWriter(path: path, mtime: mtime, durable: durable)
    for entry in entries.sorted(by: { EntryName.precedes($0.name, $1.name) }) {
        switch entry.source {
        case .file(let file):
            try writer.add(name: entry.name, contentsOfFile: file, executable: entry.executable, compression: entry.compression)
        case .bytes(let data):
            try writer.add(name: entry.name, data: data, executable: entry.executable, compression: entry.compression)
        }
    }
    return try writer.close()
}

/// The whole content of the regular file at `path`.
private func readRegularFile(_ path: String, entry name: String) throws(ArchiveError) -> Data {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ioError("open", path, entry: name) }
    defer { Foundation.close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw ioError("fstat", path, entry: name) }
    guard status.st_mode & S_IFMT == S_IFREG else {
        throw ArchiveError(.unsupportedEntryType, "\(path) is not a regular file: only files go into a zip", entry: name)
    }
    let size = Int(status.st_size)
    guard Int64(size) <= ZipRecords.max32 else { throw CompressedEntry.tooLarge(name, size: Int64(size)) }
    var data = Data(count: size + 1)  // one byte more, to see a file that grew
    var total = 0
    let failed: Bool = data.withUnsafeMutableBytes { buffer in
        while total < buffer.count {
            let count = read(fd, buffer.baseAddress! + total, buffer.count - total)
            if count < 0 {
                if errno == EINTR { continue }
                return true
            }
            if count == 0 { break }
            total += count
        }
        return false
    }
    if failed { throw ioError("read", path, entry: name) }
    guard total == size else {
        throw ArchiveError(.sizeMismatch, "\(path) changed size while it was zipped: build from files nobody writes to",
                           entry: name)
    }
    data.removeLast()
    return data
}

/// The writer's resources. Its `deinit` removes the partial file unless `finish()`
/// succeeded, so every way out of a `ZipWriter` cleans up.
private final class ZipWriterState {
    let path: String
    let partial: String
    let dosTime: UInt32
    let unixTime: UInt32
    /// The partial file, once opened: at the start, or when the zip outgrew `memoryLimit`.
    var fd: Int32 = -1
    /// The zip so far while it is kept in memory (nil: it goes to the file).
    var memory: Data?
    let memoryLimit: Int
    /// Where the bytes in `memory` are taken from, if shared.
    let budget: (any ZipMemoryBudget)?
    let deflate: DeflateLevel
    let durable: Bool
    /// Made on first use: a writer given only entries compressed ahead needs none.
    private var ownCompressor: ZipCompressor?
    /// Headers waiting to be written, in front of the next large payload or at the end.
    var pending: [UInt8] = []
    var offset: Int64 = 0
    var hasher = SHA256()
    var entries: [ZipRecords.Entry] = []
    var files: [ZippedFile] = []
    var previousName: String?
    var finished = false
    var broken: ArchiveError?

    init(path: String, mtime: Int64, deflate: DeflateLevel, durable: Bool, memoryLimit: Int,
         budget: (any ZipMemoryBudget)?) throws(ArchiveError) {
        self.path = path
        self.deflate = deflate
        self.durable = durable
        self.memoryLimit = max(memoryLimit, 0)
        self.budget = budget
        partial = path + ".partial"
        dosTime = ZipRecords.dosDateTime(utcSeconds: mtime)
        unixTime = UInt32(truncatingIfNeeded: min(max(mtime, 0), Int64(UInt32.max)))
        pending.reserveCapacity(1 << 16)
        if self.memoryLimit > 0 {
            memory = Data()
        } else {
            try openPartial()
        }
    }

    deinit {
        if !finished, let memory { budget?.give(memory.count) }
        if !finished, fd >= 0 {
            Foundation.close(fd)
            unlink(partial)
        }
    }

    private func openPartial() throws(ArchiveError) {
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("open", partial) }
        self.fd = fd
    }

    func compressor() throws(ArchiveError) -> ZipCompressor {
        if let ownCompressor { return ownCompressor }
        let made = try ZipCompressor(level: deflate)
        ownCompressor = made
        return made
    }

    /// Checks the name and order, then writes the local header and the payload.
    func add(_ entry: CompressedEntry) throws(ArchiveError) -> ZippedFile {
        if let broken { throw broken }
        let name = entry.name
        guard try EntryName.normalise(name) == name else {
            throw ArchiveError(.unsafePath, "entry name '\(name)' is not in normal form (write it as a/b, without ./ or //)", entry: name)
        }
        if let previousName, !EntryName.precedes(previousName, name) {
            throw ArchiveError(previousName == name ? .duplicateEntry : .unsortedEntries,
                               previousName == name ? "\(name) is added twice"
                                   : "\(name) comes after \(previousName): add entries sorted by name (byte order)",
                               entry: name)
        }
        guard name.utf8.count <= Int(UInt16.max) else {
            throw ArchiveError(.unsafePath, "an entry name of \(name.utf8.count) bytes is longer than a zip holds (65,535)",
                               entry: String(name.prefix(80)))
        }
        let start = offset + Int64(pending.count)
        guard start <= ZipRecords.max32 else { throw zipTooLarge() }
        let record = ZipRecords.Entry(name: Array(name.utf8), executable: entry.executable, deflated: entry.deflated,
                                      crc32: entry.crc32, compressedSize: UInt32(entry.payload.count),
                                      size: UInt32(entry.size), localHeaderOffset: UInt32(start))
        ZipRecords.localHeader(record, dosTime: dosTime, unixTime: unixTime, into: &pending)
        do {
            if pending.count + entry.payload.count <= 1 << 20 {
                pending.append(contentsOf: entry.payload)
            } else {
                try flush()
                try withBytes(of: entry.payload, write)
            }
        } catch {
            broken = error
            throw error
        }
        if pending.count >= 1 << 20 { try flush() }
        entries.append(record)
        previousName = name
        let file = ZippedFile(name: name, size: entry.size, executable: entry.executable)
        files.append(file)
        return file
    }

    func finish() throws(ArchiveError) -> WrittenZip {
        if let broken { throw broken }
        let directoryOffset = offset + Int64(pending.count)
        for entry in entries {
            ZipRecords.centralRecord(entry, dosTime: dosTime, unixTime: unixTime, into: &pending)
            if pending.count >= 1 << 20 { try flush() }
        }
        let directorySize = offset + Int64(pending.count) - directoryOffset
        guard directoryOffset + directorySize <= ZipRecords.max32 else { throw zipTooLarge() }
        ZipRecords.end(entries: entries.count, directoryOffset: UInt32(directoryOffset),
                       directorySize: UInt32(directorySize), into: &pending)
        try flush()
        let sha256 = Hex.encode(hasher.finalize())
        if let memory {
            finished = true
            return WrittenZip(sha256: sha256, size: Int(offset), files: files, bytes: memory)
        }
        guard !durable || fsync(fd) == 0 else { throw ioError("fsync", partial) }
        guard rename(partial, path) == 0 else { throw ioError("rename", path) }
        finished = true
        Foundation.close(fd)
        return WrittenZip(sha256: sha256, size: Int(offset), files: files, bytes: nil)
    }

    private func flush() throws(ArchiveError) {
        guard !pending.isEmpty else { return }
        try withBytes(of: pending, write)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes all of `bytes` at the end of the zip (in memory, or the file) and hashes them.
    private func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        hasher.update(bufferPointer: bytes)
        if memory != nil, memory!.count + bytes.count > memoryLimit || budget?.take(bytes.count) == false {
            do throws(ArchiveError) {
                try openPartial()
                let kept = memory!
                memory = nil
                budget?.give(kept.count)
                try withBytes(of: kept, writeFully)
            } catch {
                broken = error
                throw error
            }
        }
        if memory != nil {
            memory!.append(contentsOf: bytes)
        } else {
            try writeFully(bytes)
        }
        offset += Int64(bytes.count)
    }

    /// Calls `body` with the bytes of `data`, keeping `body`'s typed error
    /// (`withUnsafeBytes` rethrows untyped ones).
    private func withBytes(of data: some ContiguousBytes,
                           _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        let result: Result<Void, ArchiveError> = data.withUnsafeBytes { bytes in
            Result { () throws(ArchiveError) in try body(bytes) }
        }
        try result.get()
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var done = 0
        while done < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                let error = ioError("write", partial)
                broken = error
                throw error
            }
            done += count
        }
    }

    private func zipTooLarge() -> ArchiveError {
        let error = ArchiveError(.tooLarge, "\(path) would pass 4 GiB, which Ferry's zips do not support (no zip64 "
                                     + "offsets): split the code folder, or keep large data out of artifacts (e.g. in S3)")
        broken = error
        return error
    }
}

/// An `.io` error from a libc call, with `strerror(errno)`.
func ioError(_ function: String, _ path: String, entry: String? = nil) -> ArchiveError {
    ArchiveError(.io, "\(function) failed on \(path)", entry: entry, function: function, cause: String(cString: strerror(errno)))
}
