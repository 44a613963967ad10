import Archive
import Basics
import Foundation
import Git

/// Deterministic zips of code folders and single files, the artifacts templates point
/// to, written from the commit's blobs (no checkout).
///
/// The same files give the same bytes, whatever the commit, the machine, the umask or
/// the time zone: every entry gets the fixed time `FolderZip.mtime`
/// (1980-01-01T00:00:00Z, the earliest a zip can say), so an unchanged folder gives the
/// same artifact — and the same key — in every release. Entries are the folder's files
/// in byte order of their names (no folder entries), mode 0644 or 0755 as git records
/// them. Content that does not compress (already-compressed or random bytes, judged by
/// its entropy; or whose deflate would not be smaller) is stored; the rest is deflated
/// with libdeflate's fastest level (several times faster than zlib's default level, for
/// zips about a tenth larger) — a choice made from the content alone.
enum FolderZip {
    /// 1980-01-01T00:00:00Z: the fixed time of every entry of an artifact zip.
    static let mtime = Date(timeIntervalSince1970: 315_532_800)

    /// One file of a zip: its name in the zip, mode, git blob id, and its path in the
    /// repository (where a clean working tree holds the same bytes).
    struct Item: Sendable, Equatable {
        var name: String
        var executable: Bool
        var blob: String
        var path: String
    }

    /// The fewest files worth a thread of their own.
    static let filesPerThread = 32

    /// Writes the zip of `items` (blobs of the repository at `repositoryPath`) to `path`.
    /// The files are read and compressed on up to `width` threads (each with its own
    /// `BlobReader` and compressor, no copy), then written in order; the zip is hashed as
    /// it is written. With `workingTree`, a blob whose working-tree file holds exactly its
    /// bytes (its git id proves it) is read from there instead of inflated from git.
    static func zip(_ items: [Item], repositoryPath: String, workingTree: Bool = false, to path: String,
                    width: Int) throws(BuildError) -> StoredObject {
        let sorted = items.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let threads = max(1, min(width, sorted.count / filesPerThread))
        // Striped, not cut in runs: neighbours in a folder tend to be alike (text, binaries).
        let stripes = try parallelMap(Array(0..<threads), width: threads) { (stripe) throws(BuildError) -> [CompressedEntry] in
            try compress(Array(stride(from: stripe, to: sorted.count, by: threads).map { sorted[$0] }),
                         repositoryPath: repositoryPath, workingTree: workingTree)
        }
        do throws(ArchiveError) {
            // Not flushed to disk: a zip a crash damaged is caught by the cache's readers
            // (a release hashes a zip from the cache before it uploads it).
            let writer = try ZipWriter(path: path, mtime: mtime, deflate: .fastest, durable: false)
            for index in sorted.indices { try writer.add(stripes[index % threads][index / threads]) }
            let written = try writer.close()
            return StoredObject(sha256: written.sha256, size: written.size)
        } catch {
            throw BuildError(error, doing: "writing the zip \(path)")
        }
    }

    /// Reads and compresses `items` on this thread.
    private static func compress(_ items: [Item], repositoryPath: String,
                                 workingTree: Bool) throws(BuildError) -> [CompressedEntry] {
        let reader: BlobReader, compressor: ZipCompressor
        do throws(GitError) {
            reader = BlobReader(repository: try Repository.open(repositoryPath), workingTree: workingTree)
        } catch {
            throw BuildError(error, doing: "opening the repository at \(repositoryPath)")
        }
        do throws(ArchiveError) {
            compressor = try ZipCompressor(level: .fastest)
        } catch {
            throw BuildError(error, doing: "starting a compressor")
        }
        var entries: [CompressedEntry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            let made: Result<CompressedEntry, ArchiveError>
            do throws(GitError) {
                made = try reader.withBlob(item.blob, at: item.path) { bytes in
                    Result { () throws(ArchiveError) in
                        try compressor.compress(name: item.name, bytes: bytes, executable: item.executable,
                                                compression: compression(of: bytes))
                    }
                }
            } catch {
                throw BuildError(error, doing: "reading \(item.name)")
            }
            do throws(ArchiveError) {
                entries.append(try made.get())
            } catch {
                throw BuildError(error, doing: "compressing \(item.name)")
            }
        }
        return entries
    }

    /// Files smaller than this are always deflated (too small to judge, cheap either way).
    static let sampleBytes = 16_384

    /// `.store` for content that deflate would not shrink, judged from the first
    /// `sampleBytes`: a byte entropy above 7.5 bits per byte (compressed, encrypted or
    /// random data). Everything else `.deflate` (at the writer's fastest level).
    static func compression(of bytes: UnsafeRawBufferPointer) -> ZipCompression {
        guard bytes.count >= sampleBytes else { return .deflate }
        return entropy(UnsafeRawBufferPointer(rebasing: bytes[0..<sampleBytes])) > 7.5 ? .store : .deflate
    }

    /// Shannon entropy of `bytes`, in bits per byte (0...8).
    static func entropy(_ bytes: UnsafeRawBufferPointer) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / total
            return sum - p * log2(p)
        }
    }
}
