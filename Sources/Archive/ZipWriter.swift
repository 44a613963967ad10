import Foundation

/// How an entry's bytes are stored.
public enum ZipCompression: Sendable, Hashable {
    /// Deflate (zlib's default level): for text, templates, code.
    case deflate
    /// Stored as is: for content that is already compressed (zips, images), much faster.
    case store
}

/// The zlib level of a zip's deflated entries.
public enum DeflateLevel: Sendable, Hashable {
    /// zlib's default (6): the smallest output for the time.
    case standard
    /// zlib's fastest (1): several times faster on text, output about a tenth larger.
    /// For large zips made often (code artifacts).
    case fastest
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

/// Writes a deterministic zip: the same entries and mtime give the same bytes, whatever
/// the time zone, umask, user or order of the files on disk.
///
/// - Entries must be added in byte order of their names (`.unsortedEntries` otherwise;
///   `writeZip` sorts for you). Names are `/`-separated relative paths; no folder
///   entries are written (folders are implied by the names, as Lambda and
///   `aws cloudformation package` expect).
/// - Every entry: regular file, mode 0644 or 0755, uid/gid 0 and no owner names, the
///   one fixed mtime, UTF-8 name flag for non-ASCII names, deflate or store.
/// - The zip is written to `<path>.partial` and renamed to `path` by `close()`. If
///   `close()` is never reached (an error, or the writer is dropped), the partial file
///   is removed: nothing half-written is left.
///
/// The corresponding C functions are `archive_write_header`, `archive_write_data` and
/// `archive_write_close` (format zip).
public struct ZipWriter: ~Copyable {
    private let state: ZipWriterState

    /// Starts writing the zip that `close()` will put at `path` (replacing a file there).
    /// `mtime` is every entry's modification time: use the commit time, not the clock.
    /// `deflate` is the level of every `.deflate` entry.
    public init(path: String, mtime: Date, deflate: DeflateLevel = .standard) throws(ArchiveError) {
        state = try ZipWriterState(path: path, mtime: Int64(mtime.timeIntervalSince1970.rounded(.down)), deflate: deflate)
    }

    /// Adds an entry with the given bytes.
    @discardableResult
    public func add(name: String, data: Data, executable: Bool = false,
                    compression: ZipCompression = .deflate) throws(ArchiveError) -> ZippedFile {
        try state.add(name: name, executable: executable, compression: compression, size: Int64(data.count)) {
            (write) throws(ArchiveError) in
            // `Data.withUnsafeBytes` rethrows untyped errors: carry the typed one out in a Result.
            let result: Result<Void, ArchiveError> = data.withUnsafeBytes { bytes in
                do throws(ArchiveError) {
                    if !bytes.isEmpty { try write(bytes) }
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
        }
    }

    /// Adds an entry whose content is the file at `path`, streamed in 1 MiB blocks.
    /// The file must be a regular file and must not change while it is read.
    @discardableResult
    public func add(name: String, contentsOfFile path: String, executable: Bool = false,
                    compression: ZipCompression = .deflate) throws(ArchiveError) -> ZippedFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open", path, entry: name) }
        defer { Foundation.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ioError("fstat", path, entry: name) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveError(.unsupportedEntryType, "\(path) is not a regular file: only files go into a zip", entry: name)
        }
        let size = Int64(status.st_size)
        let buffer = state.readBuffer
        return try state.add(name: name, executable: executable, compression: compression, size: size) {
            (write) throws(ArchiveError) in
            var total: Int64 = 0
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ioError("read", path, entry: name)
                }
                if count == 0 { break }
                total += Int64(count)
                try write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            if total != size {
                throw ArchiveError(.sizeMismatch, "\(path) changed size while it was zipped: build from files nobody writes to",
                                   entry: name)
            }
        }
    }

    /// Finishes the zip: writes the central directory, fixes the header times to UTC,
    /// flushes to disk (`fsync`) and renames `<path>.partial` to `path`. On failure the
    /// partial file is removed.
    public consuming func close() throws(ArchiveError) {
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
/// `path`, all with modification time `mtime`. See `ZipWriter`.
@discardableResult
public func writeZip(entries: [ZipEntry], to path: String, mtime: Date) throws(ArchiveError) -> [ZippedFile] {
    let writer = try ZipWriter(path: path, mtime: mtime)
    var written: [ZippedFile] = []
    written.reserveCapacity(entries.count)
    for entry in entries.sorted(by: { EntryName.precedes($0.name, $1.name) }) {
        switch entry.source {
        case .file(let file):
            written.append(try writer.add(name: entry.name, contentsOfFile: file, executable: entry.executable,
                                          compression: entry.compression))
        case .bytes(let data):
            written.append(try writer.add(name: entry.name, data: data, executable: entry.executable,
                                          compression: entry.compression))
        }
    }
    try writer.close()
    return written
}

/// The writer's resources. Its `deinit` removes the partial file unless `finish()`
/// succeeded, so every way out of a `ZipWriter` cleans up.
private final class ZipWriterState {
    let path: String
    let partial: String
    let mtime: Int64
    let fd: Int32
    let handle: ArchiveWriteHandle
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    var previousName: String?
    var finished = false
    var broken: ArchiveError?

    init(path: String, mtime: Int64, deflate: DeflateLevel) throws(ArchiveError) {
        self.path = path
        partial = path + ".partial"
        self.mtime = mtime
        let fd = open(partial, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            readBuffer.deallocate()
            throw ioError("open", partial)
        }
        do {
            handle = try ArchiveWriteHandle(fd: fd, path: path, fastest: deflate == .fastest)
        } catch {
            Foundation.close(fd)
            unlink(partial)
            readBuffer.deallocate()
            throw error
        }
        self.fd = fd
    }

    deinit {
        if !finished {
            handle.abandon()
            Foundation.close(fd)
            unlink(partial)
        }
        readBuffer.deallocate()
    }

    /// Writes one entry: checks the name and order, then header, content (through
    /// `produce`, which calls `write` with blocks), hash, end of entry.
    func add(name: String, executable: Bool, compression: ZipCompression, size: Int64,
             produce: ((UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) -> Void)
        throws(ArchiveError) -> ZippedFile {
        if let broken { throw broken }
        guard try EntryName.normalise(name) == name else {
            throw ArchiveError(.unsafePath, "entry name '\(name)' is not in normal form (write it as a/b, without ./ or //)", entry: name)
        }
        if let previousName, !EntryName.precedes(previousName, name) {
            throw ArchiveError(previousName == name ? .duplicateEntry : .unsortedEntries,
                               previousName == name ? "\(name) is added twice"
                                   : "\(name) comes after \(previousName): add entries sorted by name (byte order)",
                               entry: name)
        }
        do {
            try handle.beginFile(name: name, size: size, permissions: executable ? 0o755 : 0o644, mtime: mtime,
                                 store: compression == .store)
            let handle = self.handle
            try produce { (bytes) throws(ArchiveError) in try handle.write(bytes, entry: name) }
            try handle.finishFile(name)
            previousName = name
            return ZippedFile(name: name, size: size, executable: executable)
        } catch {
            broken = error  // libarchive's state is unknown after a failed entry: no more writes
            throw error
        }
    }

    func finish() throws(ArchiveError) {
        if let broken { throw broken }
        try handle.close(path)
        try ZipTimestamps.rewrite(fd: fd, to: ZipTimestamps.dosDateTime(utcSeconds: mtime), path: partial)
        guard fsync(fd) == 0 else { throw ioError("fsync", partial) }
        guard rename(partial, path) == 0 else { throw ioError("rename", path) }
        finished = true
        Foundation.close(fd)
    }
}
