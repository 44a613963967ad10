import Basics
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a commit's blobs for packaging: from the working tree when the file there holds
/// exactly the blob's bytes, else from the object database.
///
/// A file of a clean checkout is the blob itself, and reading it costs a copy from the
/// page cache, where the object database costs an inflate (zlib) of every object, and
/// in a pack the deltas too. Whether the file is the blob is proven, not assumed: its
/// git blob id (SHA-1 of `blob <size>\0` and the bytes, with the CPU's SHA instructions)
/// must be the id the commit names. An edited, re-encoded (`.gitattributes` eol, LFS
/// smudge), missing or replaced (a symbolic link, a folder) file fails that check and
/// the blob is read from git instead: what is packaged is the commit's bytes either way.
///
/// One reader per thread (it keeps one buffer and a `Repository`, neither thread-safe).
public final class BlobReader {
    private let repository: Repository
    private let workdir: String?
    private var buffer: UnsafeMutableRawBufferPointer
    /// How many blobs came from the working tree and how many from the object database.
    public private(set) var fromWorkingTree = 0
    public private(set) var fromObjects = 0

    /// With `workingTree` false (or a bare repository) every blob comes from git's
    /// object database.
    public init(repository: Repository, workingTree: Bool) {
        self.repository = repository
        workdir = workingTree ? repository.workdir : nil
        buffer = .allocate(byteCount: 1 << 16, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with the bytes of the blob `id`, which the commit holds at `path`
    /// (relative to the repository root); the bytes are valid only during the call.
    public func withBlob<T>(_ id: String, at path: String, _ body: (UnsafeRawBufferPointer) -> T) throws(GitError) -> T {
        if let workdir, let count = readFile(workdir + "/" + path) {
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if Self.blobId(of: bytes) == id {
                fromWorkingTree += 1
                return body(bytes)
            }
        }
        fromObjects += 1
        return try repository.withBlob(id, body)
    }

    /// Git's id of a blob holding `bytes`: hex SHA-1 of `blob <count>\0` + bytes.
    public static func blobId(of bytes: UnsafeRawBufferPointer) -> String {
        var hasher = blobHasher(count: bytes.count)
        hasher.update(bufferPointer: bytes)
        return Hex.encode(hasher.finalize())
    }

    /// Git's id of the blob the open file `fd` holds, read to its end in 1 MiB pieces;
    /// nil when it cannot be read or does not hold exactly `count` bytes.
    static func blobId(reading fd: Int32, count: Int) -> String? {
        var hasher = blobHasher(count: count)
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(count, 1 << 20)), alignment: 16)
        defer { piece.deallocate() }
        var done = 0
        while true {
            let got = read(fd, piece.baseAddress!, piece.count)
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { return nil }
            if got == 0 { break }
            done += got
            guard done <= count else { return nil }  // the file grew
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: piece[0..<got]))
        }
        return done == count ? Hex.encode(hasher.finalize()) : nil
    }

    private static func blobHasher(count: Int) -> Insecure.SHA1 {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(count)\0".utf8))
        return hasher
    }

    /// Reads the regular file at `path` (never through a symbolic link) whole into the
    /// buffer; its size, or nil when it is not a regular file or cannot be read whole.
    /// Opened non-blocking, so a FIFO there cannot stall the build.
    private func readFile(_ path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(info.st_size)
        if size > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: size, alignment: 16)
        }
        var done = 0
        while done < size {
            let count = read(fd, buffer.baseAddress! + done, size - done)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }  // an error, or the file shrank
            done += count
        }
        return size
    }
}
