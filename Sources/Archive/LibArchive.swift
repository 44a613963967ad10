// The one file of the Archive module that calls libarchive. Each `struct archive`
// is owned by one final class here and freed in its `deinit`; the rest of the module
// sees Swift values and buffers that are valid for one call.
internal import CArchive
import Foundation

/// libarchive converts entry names through the calling thread's locale, and in the C
/// locale (Swift programs never call `setlocale`) every non-ASCII name is refused. Each
/// call that touches names switches this thread, and only this thread, to C.UTF-8.
/// Made once and never freed; a `locale_t` is immutable, so sharing it is safe.
nonisolated(unsafe) private let utf8Locale: locale_t? = ferry_archive_utf8_locale()

private func inUTF8Locale<T>(_ body: () throws(ArchiveError) -> T) throws(ArchiveError) -> T {
    guard let utf8Locale else {
        throw ArchiveError(.library, "this system has no C.UTF-8 locale, which Ferry needs for file names in zips",
                           function: "newlocale")
    }
    let previous = uselocale(utf8Locale)
    defer { uselocale(previous) }
    return try body()
}

// MARK: Reading

/// An entry header, copied out of libarchive.
struct RawEntry {
    enum Kind { case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, unknown }
    /// The name as UTF-8; nil when it is not valid UTF-8.
    let name: String?
    let kind: Kind
    let permissions: UInt32
    /// The uncompressed size the headers declare, if any.
    let size: Int64?
    /// The link target of a symbolic or hard link.
    let linkTarget: String?
}

/// Owns a seekable-zip `archive_read` over one file.
final class ArchiveReadHandle {
    private let archive: OpaquePointer
    let path: String

    /// `archive_read_new`, `archive_read_support_format_zip_seekable` (the central
    /// directory is authoritative), `archive_read_open_filename` with 1 MiB reads. With
    /// `skipCRC`, the `zip:ignorecrc32` option: libarchive computes no CRC-32 of the data.
    init(path: String, skipCRC: Bool = false) throws(ArchiveError) {
        guard let archive = archive_read_new() else {
            throw ArchiveError(.library, "libarchive could not allocate a reader for \(path)", function: "archive_read_new")
        }
        self.archive = archive
        self.path = path
        guard archive_read_support_format_zip_seekable(archive) == ARCHIVE_OK else {
            throw failure(.library, "libarchive has no zip support", "archive_read_support_format_zip_seekable")
        }
        if skipCRC, archive_read_set_format_option(archive, "zip", "ignorecrc32", "1") != ARCHIVE_OK {
            throw failure(.library, "this libarchive cannot skip CRC-32 checks", "archive_read_set_format_option")
        }
        guard archive_read_open_filename(archive, path, 1 << 20) == ARCHIVE_OK else {
            let exists = access(path, F_OK) == 0
            throw failure(exists ? .corrupt : .io, exists ? "\(path) is not a readable zip" : "cannot open \(path)",
                          "archive_read_open_filename")
        }
    }

    deinit { archive_read_free(archive) }

    /// The next entry's header (`archive_read_next_header`); nil after the last. Any
    /// warning (inconsistent headers, a name that is not UTF-8) is a `.corrupt` error.
    func nextEntry() throws(ArchiveError) -> RawEntry? {
        let archive = self.archive
        return try inUTF8Locale { () throws(ArchiveError) -> RawEntry? in
            var entry: OpaquePointer?
            let result = archive_read_next_header(archive, &entry)
            if result == ARCHIVE_EOF { return nil }
            guard result == ARCHIVE_OK, let entry else {
                throw failure(.corrupt, "\(path) is damaged or not a zip: refuse it", "archive_read_next_header")
            }
            let hardlink = archive_entry_hardlink(entry)
            let symlink = archive_entry_symlink(entry)
            let kind: RawEntry.Kind
            switch archive_entry_filetype(entry) {
            case _ where hardlink != nil: kind = .hardlink
            case FERRY_AE_IFREG: kind = .regular
            case FERRY_AE_IFDIR: kind = .directory
            case FERRY_AE_IFLNK: kind = .symlink
            case FERRY_AE_IFCHR: kind = .characterDevice
            case FERRY_AE_IFBLK: kind = .blockDevice
            case FERRY_AE_IFIFO: kind = .fifo
            case FERRY_AE_IFSOCK: kind = .socket
            default: kind = .unknown
            }
            return RawEntry(name: archive_entry_pathname(entry).flatMap { String(validatingCString: $0) },
                            kind: kind,
                            permissions: UInt32(archive_entry_perm(entry)),
                            size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
                            linkTarget: (hardlink ?? symlink).map { String(cString: $0) })
        }
    }

    /// Calls `body` with the next block of the current entry's data and its offset
    /// (`archive_read_data_block`); returns false at the end of the entry. The buffer
    /// belongs to libarchive and is valid only during the call. A size or CRC mismatch
    /// found at the end is a `.corrupt` error.
    func readBlock(entry name: String, _ body: (UnsafeRawBufferPointer, Int64) throws(ArchiveError) -> Void) throws(ArchiveError) -> Bool {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let result = archive_read_data_block(archive, &buffer, &size, &offset)
        if result == ARCHIVE_EOF { return false }
        guard result == ARCHIVE_OK else {
            throw ArchiveError(.corrupt, "the data of \(name) is damaged (bad CRC, wrong size or bad compression): refuse the zip",
                               entry: name, function: "archive_read_data_block", cause: archiveMessage(archive))
        }
        try body(UnsafeRawBufferPointer(start: buffer, count: size), Int64(offset))
        return true
    }

    /// How far into the zip file libarchive has consumed (`archive_filter_bytes` of the
    /// filter next to the format): the packed bytes behind what was unpacked so far.
    var consumedBytes: Int64 { archive_filter_bytes(archive, 0) }

    /// Skips the current entry's data (`archive_read_data_skip`).
    func skipData(entry name: String) throws(ArchiveError) {
        guard archive_read_data_skip(archive) == ARCHIVE_OK else {
            throw ArchiveError(.corrupt, "could not skip the data of \(name)", entry: name,
                               function: "archive_read_data_skip", cause: archiveMessage(archive))
        }
    }

    private func failure(_ code: ArchiveError.Code, _ message: String, _ function: String) -> ArchiveError {
        ArchiveError(code, message, function: function, cause: archiveMessage(archive))
    }
}

/// libarchive's message for the last failure on `archive` (`archive_error_string`).
private func archiveMessage(_ archive: OpaquePointer) -> String? {
    archive_error_string(archive).map { String(cString: $0) }
}
