import Basics
import Crypto
import Foundation
import Synchronization

/// Writes a response body to a file and hashes it (SHA-256) on a thread of its own, so
/// that libcurl receives the next bytes while the last ones are hashed and written: a
/// download then costs about the larger of the transfer and the hash, not their sum.
///
/// `append` copies each piece (libcurl reuses its buffer) and queues it; at most
/// `maxQueued` bytes wait, beyond that `append` waits for the writer. `finish` waits for
/// the last write and returns the digest; the first write error stops the writing and is
/// returned by `append` (so the transfer stops) and by `finish`.
///
/// Threads: `append` and `finish` are called by the transfer's thread only; `hasher` is
/// touched on `queue` only; `failure` is shared, under its lock.
final class DownloadWriter: @unchecked Sendable {
    /// What went wrong: the failing call and its errno.
    struct Failure: Error {
        let call: String
        let code: Int32
    }

    private let fd: Int32
    private let queue = DispatchQueue(label: "ferry.http.download")
    private let room: DispatchSemaphore
    private let pieceBytes: Int
    private var pending = Data()
    private var hasher = SHA256()
    private let failure = Mutex<Failure?>(nil)

    /// Writes to the open file descriptor `fd` (the caller closes it after `finish`).
    init(fd: Int32, pieceBytes: Int = 1 << 20, maxQueuedPieces: Int = 8) {
        self.fd = fd
        self.pieceBytes = pieceBytes
        room = DispatchSemaphore(value: maxQueuedPieces)
    }

    /// Queues `bytes`; the first write failure so far, if any.
    func append(_ bytes: UnsafeRawBufferPointer) -> Failure? {
        if pending.isEmpty { pending.reserveCapacity(pieceBytes) }
        pending.append(contentsOf: bytes)
        if pending.count >= pieceBytes {
            submit(pending)
            pending = Data()
        }
        return failure.withLock { $0 }
    }

    /// Writes what is still pending, waits for every write, and returns the SHA-256 (hex).
    func finish() -> Result<String, Failure> {
        if !pending.isEmpty { submit(pending) }
        pending = Data()
        return queue.sync {
            if let failure = failure.withLock({ $0 }) { return .failure(failure) }
            return .success(Hex.encode(hasher.finalize()))
        }
    }

    private func submit(_ piece: Data) {
        room.wait()
        queue.async { [self] in
            defer { room.signal() }
            guard failure.withLock({ $0 == nil }) else { return }
            let failed = piece.withUnsafeBytes { bytes -> Failure? in
                hasher.update(bufferPointer: bytes)
                var offset = 0
                while offset < bytes.count {
                    let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { return Failure(call: "write", code: errno) }
                    offset += count
                }
                return nil
            }
            if let failed { failure.withLock { $0 = failed } }
        }
    }
}
