import Basics
import Crypto
import Foundation
import Synchronization

/// The second pass of `extract`: writes the planned files, each hashed (SHA-256) from
/// the buffers written, each held to exactly its declared size and to the ratio limit.
///
/// Inflating is the slow part (text inflates at about 100 MB/s per core here, while
/// SHA-256 runs at over 1 GB/s), so a large zip is unpacked by several threads at once,
/// each with its own reader: each walks the entries in the zip's order and takes the
/// next file nobody has taken yet. The first failure (in the zip's order) is thrown once
/// every thread has stopped; no thread takes a new file after one failed.
final class FileUnpacker: Sendable {
    let zip: String
    let plan: ExtractionPlan
    let limits: ExtractLimits
    let skipCRC: Bool
    /// The staging folder is not thread-safe: files are created one at a time.
    private let staging: Mutex<StagingFolderRef>
    /// The next file of `plan.files` nobody has taken, and whether a file failed.
    private let next = Mutex<(position: Int, failed: Bool)>((0, false))
    private let results: Mutex<[Result<ExtractedFile, ArchiveError>?]>

    /// Zips declaring less than this, or files smaller than `parallelFloorAverage` on
    /// average, are unpacked on the calling thread alone: each thread reads every header
    /// (libarchive cannot jump to an entry), which costs more than it saves on small files.
    static let parallelFloorBytes: Int64 = 8 << 20
    static let parallelFloorAverage: Int64 = 64 << 10
    /// Most threads one extraction uses.
    static let maxThreads = 4

    init(zip: String, plan: ExtractionPlan, staging: StagingFolder, limits: ExtractLimits, skipCRC: Bool) {
        self.zip = zip
        self.plan = plan
        self.limits = limits
        self.skipCRC = skipCRC
        self.staging = Mutex(StagingFolderRef(staging))
        results = Mutex(Array(repeating: nil, count: plan.files.count))
    }

    /// One thread per core (at most `maxThreads`, at most one per file) for a zip of at
    /// least `parallelFloorBytes` in files of `parallelFloorAverage` on average; else one.
    static func threads(for plan: ExtractionPlan) -> Int {
        guard plan.declaredBytes >= parallelFloorBytes,
              plan.declaredBytes / Int64(max(plan.files.count, 1)) >= parallelFloorAverage else { return 1 }
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, maxThreads, plan.files.count))
    }

    /// Unpacks every planned file on `threads` threads of the worker pool.
    func run(threads: Int) throws(ArchiveError) -> [ExtractedFile] {
        let count = max(1, min(threads, plan.files.count))
        forEachConcurrently(Array(0..<count), width: count) { [self] _ in work() }
        var files: [ExtractedFile] = []
        for result in results.withLock({ $0 }) {
            switch result {
            case .success(let file): files.append(file)
            case .failure(let error): throw error
            case nil: break  // not taken: a file before it failed (thrown above)
            }
        }
        return files
    }

    /// One thread's share: take the next file, read forward to it, unpack it; repeat.
    private func work() {
        var reader: ArchiveReadHandle?
        var index = -1
        while let position = take() {
            let file = plan.files[position]
            let result = Result { () throws(ArchiveError) -> ExtractedFile in
                if reader == nil { reader = try ArchiveReadHandle(path: zip, skipCRC: skipCRC) }
                let current = reader!
                var raw: RawEntry?
                while index < file.index {
                    raw = try current.nextEntry()
                    index += 1
                    guard raw != nil else { break }
                }
                guard let raw, raw.name == file.name else {
                    throw ArchiveError(.corrupt, "\(zip) read differently the second time (entry \(file.name)): refused",
                                       entry: file.name)
                }
                return try unpack(file, from: current)
            }
            results.withLock { $0[position] = result }
            if case .failure = result {
                next.withLock { $0.failed = true }
                return
            }
        }
    }

    private func take() -> Int? {
        next.withLock { state in
            guard !state.failed, state.position < plan.files.count else { return nil }
            defer { state.position += 1 }
            return state.position
        }
    }

    /// Writes the current entry of `reader` as `file`.
    private func unpack(_ file: PlannedFile, from reader: ArchiveReadHandle) throws(ArchiveError) -> ExtractedFile {
        let name = file.name
        let fd = try staging.withLock { (folder) throws(ArchiveError) -> Int32 in
            try folder.staging.createFile(file.path, mode: file.executable ? 0o755 : 0o644, entry: name)
        }
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
                if written > limits.ratioFloorBytes, Double(written) > limits.maxRatio * Double(max(packed, 1)) {
                    throw ArchiveError(.compressionRatio, "entry \(name) expands more than \(limits.ratioText)x (a zip "
                        + "bomb?): refused", entry: name)
                }
                written += Int64(bytes.count)
                if written > file.declared {
                    throw ArchiveError(.sizeMismatch, "entry \(name) unpacks to more than the \(file.declared) bytes its "
                        + "header says: refused", entry: name)
                }
                hasher.update(bufferPointer: bytes)
                try writeAll(fd, bytes, name: name, path: file.path)
            }) {}
            guard written == file.declared else {
                throw ArchiveError(.sizeMismatch, "entry \(name) holds \(written) bytes but its header says "
                    + "\(file.declared): refused", entry: name)
            }
            guard close(fd) == 0 else { throw ioError("close", file.path, entry: name) }
        } catch {
            close(fd)
            throw error
        }
        return ExtractedFile(path: file.path, size: written, sha256: Hex.encode(hasher.finalize()),
                             executable: file.executable)
    }
}

/// The staging folder, sendable only inside `FileUnpacker`'s mutex.
private struct StagingFolderRef: @unchecked Sendable {
    let staging: StagingFolder
    init(_ staging: StagingFolder) { self.staging = staging }
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
