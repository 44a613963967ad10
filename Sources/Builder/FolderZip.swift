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

    /// A folder to zip: its files, and where its zip goes.
    struct Folder: Sendable {
        var items: [Item]
        var path: String
    }

    /// The fewest files worth a thread of their own.
    static let filesPerThread = 32

    /// Writes the zip of `items` (blobs of the repository at `repositoryPath`) to `path`,
    /// its files read and compressed on up to `width` threads (see `zip(_:...)`).
    static func zip(_ items: [Item], repositoryPath: String, workingTree: Bool = false, to path: String,
                    width: Int) throws(BuildError) -> StoredObject {
        try zip(items, repositoryPath: repositoryPath, workingTree: workingTree, to: path, width: width,
                memory: nil).object
    }

    /// The zip of `items`, kept in memory as far as `memory` has room for it (else written to `path`).
    static func zip(_ items: [Item], repositoryPath: String, workingTree: Bool = false, to path: String,
                    width: Int, memory: ZipMemory?) throws(BuildError) -> Made {
        var made: Made?
        try zip([Folder(items: items, path: path)], repositoryPath: repositoryPath, workingTree: workingTree,
                width: width, memory: memory) { _, zipped in made = zipped }
        return made!
    }

    /// A zip made: its digest and size, and its bytes when they were kept in memory (nil:
    /// the zip is the file at its folder's `path`).
    struct Made: Sendable {
        var object: StoredObject
        var bytes: Data?
    }

    /// Writes the zip of each of `folders`, one after the other, and calls
    /// `zipped(index, object)` on this thread as soon as one is complete.
    ///
    /// The files are read and compressed on up to `width` worker threads (each with its
    /// own `BlobReader` and compressor, no copy), claiming the next file as they go
    /// (`ZipPipeline`), while this thread writes each entry in order as soon as it is
    /// ready, hashing the zip as it is written; the workers go on to the next folder's
    /// files while one is finished. With `workingTree`, a blob whose working-tree file
    /// holds exactly its bytes (its git id proves it) is read from there instead of
    /// inflated from git. A zip that fits `memory` is kept there, not written (`Made.bytes`;
    /// its bytes stay counted in `memory` until given back). On an error (naming the
    /// file), no zip of that folder is left behind.
    static func zip(_ folders: [Folder], repositoryPath: String, workingTree: Bool = false, width: Int,
                    memory: ZipMemory? = nil, zipped: (Int, Made) throws(BuildError) -> Void) throws(BuildError) {
        let sorted = folders.map { $0.items.sorted { $0.name.utf8Precedes($1.name) } }
        let files = sorted.flatMap { $0 }
        let pipeline = ZipPipeline(files: files, window: sorted.map(\.count).max() ?? 0, repositoryPath: repositoryPath,
                                   workingTree: workingTree)
        let workers = min(width, files.count / filesPerThread)
        let pool = WorkerPool(width: workers)
        if workers > 1 { for _ in 0..<workers { pool.submit { pipeline.work() } } }
        defer {
            pipeline.stop()
            pool.wait()
        }
        for (index, folder) in folders.enumerated() {
            try zipped(index, try write(sorted[index].count, from: pipeline, to: folder.path, memory: memory))
        }
    }

    /// Writes the next `count` entries of `pipeline` into a zip at `path` (or memory).
    private static func write(_ count: Int, from pipeline: ZipPipeline, to path: String,
                              memory: ZipMemory?) throws(BuildError) -> Made {
        func failure(_ error: ArchiveError) -> BuildError { BuildError(error, doing: "writing the zip \(path)") }
        let writer: ZipWriter
        do throws(ArchiveError) {
            // Not flushed to disk: a zip a crash damaged is caught by the cache's readers
            // (a release hashes a zip from the cache before it uploads it).
            writer = try ZipWriter(path: path, mtime: mtime, deflate: .fastest, durable: false,
                                   memoryLimit: memory?.perZip ?? 0, memory: memory)
        } catch {
            throw failure(error)
        }
        for _ in 0..<count {
            let entry = try pipeline.next()
            do throws(ArchiveError) { try writer.add(entry) } catch { throw failure(error) }
        }
        do throws(ArchiveError) {
            let written = try writer.close()
            return Made(object: StoredObject(sha256: written.sha256, size: written.size), bytes: written.bytes)
        } catch {
            throw failure(error)
        }
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

    /// Shannon entropy of `bytes`, in bits per byte (0...8). The bytes are counted in
    /// four tables, one per lane, so runs of one byte value do not wait on each other's
    /// increments (the single count was 4.6 % of a cold text-heavy release's CPU).
    static func entropy(_ bytes: UnsafeRawBufferPointer) -> Double {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * 256) { counts in
            counts.initialize(repeating: 0)
            let quads = bytes.count / 4
            for index in 0..<quads {
                let base = index * 4
                counts[Int(bytes[base])] &+= 1
                counts[256 + Int(bytes[base + 1])] &+= 1
                counts[512 + Int(bytes[base + 2])] &+= 1
                counts[768 + Int(bytes[base + 3])] &+= 1
            }
            for index in (quads * 4)..<bytes.count { counts[Int(bytes[index])] &+= 1 }
            let total = Double(bytes.count)
            var sum = 0.0
            for value in 0..<256 {
                let count = counts[value] &+ counts[256 + value] &+ counts[512 + value] &+ counts[768 + value]
                guard count > 0 else { continue }
                let p = Double(count) / total
                sum -= p * log2(p)
            }
            return sum
        }
    }
}
