import Archive
import Foundation
import Git

/// The files of the zips `FolderZip` writes, compressed by worker threads in any order
/// and handed to the writer (the thread that calls `next()`) in order.
///
/// Workers claim the next file of all the folders (one index over all of them, so a
/// thread another process slows down holds back one file, not a fixed share), compress
/// it into its slot, and go on; the writer takes each entry as soon as it and every
/// entry before it are ready, and frees its slot. A worker waits rather than run more
/// than `window` files ahead of the writer, which bounds the entries held in memory.
/// A file nobody claimed yet when the writer needs it, the writer compresses itself:
/// with no workers it does all the work.
final class ZipPipeline: @unchecked Sendable {  // Every var is guarded by `condition`.
    private let files: [FolderZip.Item]
    private let window: Int
    private let repositoryPath: String
    private let workingTree: Bool
    private let condition = NSCondition()
    private var slots: [Result<CompressedEntry, BuildError>?]
    /// Files claimed so far: the index of the next file to claim.
    private var claimed = 0
    /// Entries the writer took so far: the index of the next entry to write.
    private var taken = 0
    private var stopped = false
    private var writerWaits = false
    private var workersWaiting = 0
    /// The writer's own reader and compressor (only the writer's thread uses it).
    private var writerTools: FileCompressor?

    init(files: [FolderZip.Item], window: Int, repositoryPath: String, workingTree: Bool) {
        self.files = files
        self.window = max(window, 1)
        self.repositoryPath = repositoryPath
        self.workingTree = workingTree
        slots = Array(repeating: nil, count: files.count)
    }

    /// A worker's loop: compresses claimed files until none is left or `stop()`.
    func work() {
        var tools: FileCompressor?
        while let index = claim() {
            let result = compress(files[index], with: &tools)
            condition.lock()
            slots[index] = result
            if writerWaits { condition.broadcast() }
            condition.unlock()
        }
    }

    /// The next entry, in order, once it is ready; the error of a file that could not be
    /// read or compressed.
    func next() throws(BuildError) -> CompressedEntry {
        condition.lock()
        let index = taken
        var result = slots[index]
        while result == nil {
            if claimed == index {
                claimed += 1
                condition.unlock()
                result = compress(files[index], with: &writerTools)
                condition.lock()
            } else {
                writerWaits = true
                condition.wait()
                writerWaits = false
                result = slots[index]
            }
        }
        slots[index] = nil
        taken += 1
        if workersWaiting > 0 { condition.broadcast() }
        condition.unlock()
        return try result!.get()
    }

    /// Ends the workers' loops after the files they are compressing.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped, claimed < files.count, claimed >= taken + window {
            workersWaiting += 1
            condition.wait()
            workersWaiting -= 1
        }
        guard !stopped, claimed < files.count else { return nil }
        defer { claimed += 1 }
        return claimed
    }

    private func compress(_ item: FolderZip.Item, with tools: inout FileCompressor?) -> Result<CompressedEntry, BuildError> {
        Result { () throws(BuildError) in
            if tools == nil { tools = try FileCompressor(repositoryPath: repositoryPath, workingTree: workingTree) }
            return try tools!.compress(item)
        }
    }
}

/// One thread's `BlobReader` and compressor.
private final class FileCompressor {
    let reader: BlobReader
    let compressor: ZipCompressor

    init(repositoryPath: String, workingTree: Bool) throws(BuildError) {
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
    }

    /// Reads and compresses `item` (no copy of its bytes).
    func compress(_ item: FolderZip.Item) throws(BuildError) -> CompressedEntry {
        let made: Result<CompressedEntry, ArchiveError>
        do throws(GitError) {
            made = try reader.withBlob(item.blob, at: item.path) { bytes in
                Result { () throws(ArchiveError) in
                    try compressor.compress(name: item.name, bytes: bytes, executable: item.executable,
                                            compression: FolderZip.compression(of: bytes))
                }
            }
        } catch {
            throw BuildError(error, doing: "reading \(item.name)")
        }
        do throws(ArchiveError) {
            return try made.get()
        } catch {
            throw BuildError(error, doing: "compressing \(item.name)")
        }
    }
}
