import Basics
import Bucket
import Foundation
import Synchronization

/// Uploads artifacts while the build is still making others: `ferry release` hands each
/// artifact over the moment it exists, so uploads overlap with zipping. Each is the same
/// as publish's step 1 — a HEAD, and a write-once upload only when missing — on up to
/// `width` threads of a `WorkerPool` (never the Swift concurrency pool).
/// `finish()` waits for all and reports, for each key, whether it was uploaded.
final class ArtifactUploader: Sendable {
    private let bucket: SharedBucket
    private let pool: WorkerPool
    private let state = Mutex(State())
    private let progress: BuildProgress
    /// HEADs made ahead of the build (`prefetch`): the keys guessed, and key → in the bucket.
    private let predicted = Mutex<(keys: Set<String>, heads: Pending<[String: Bool], Never>)?>(nil)

    private struct State {
        var submitted: Set<String> = []
        var outcomes: [String: Bool] = [:]
        var failure: BuildError?
        /// Bytes handed over so far, and bytes uploaded: the progress bar's total and done.
        var total: Int64 = 0
        var done: Int64 = 0
    }

    /// Where the build keeps the zips handed over in memory: each is given back once its
    /// upload is over.
    private let zipMemory: ZipMemory?

    init(bucket: SharedBucket, width: Int = 8, progress: BuildProgress = .silent, zipMemory: ZipMemory? = nil) {
        self.bucket = bucket
        pool = WorkerPool(width: width)
        self.progress = progress
        self.zipMemory = zipMemory
    }

    /// HEADs `keys` at once, before the build has named its artifacts: the keys of the
    /// last release of this pipeline to this bucket (`ArtifactCache.lastArtifacts`), which
    /// an unchanged release has again. An artifact submitted later that one of these HEADs
    /// found is not looked at again; one found missing, or not among `keys`, is checked
    /// (and uploaded) as usual. A key the build no longer has costs its HEAD, nothing more.
    func prefetch(_ keys: [String]) {
        guard !keys.isEmpty else { return }
        let bucket = self.bucket
        let heads = Pending { () -> [String: Bool] in
            let found = parallelMap(keys, width: 8) { key in try? bucket.exists(key: key) }
            var present: [String: Bool] = [:]
            for (key, there) in zip(keys, found) { present[key] = there }
            return present
        }
        predicted.withLock { $0 = (Set(keys), heads) }
    }

    /// Whether a HEAD made ahead (`prefetch`) found `key` in the bucket; waits for those
    /// HEADs. False for a key not guessed, or not found.
    private func found(_ key: String) -> Bool {
        guard let guess = predicted.withLock({ $0 }), guess.keys.contains(key) else { return false }
        return guess.heads.value()[key] == true
    }

    /// Queues an artifact (again is a no-op). After a failure, nothing more is started.
    /// A file this process wrote and hashed moments ago, or bytes in memory, are not read
    /// and hashed again before the upload (a file from the cache is).
    func submit(_ made: MadeArtifact) {
        let artifact = made.entry
        let fresh = state.withLock { state in
            guard state.failure == nil, state.submitted.insert(artifact.key).inserted else { return false }
            state.total += Int64(artifact.size)
            return true
        }
        let kept: Int = if case .memory(let bytes) = made.bytes { bytes.count } else { 0 }
        guard fresh else {
            zipMemory?.give(kept)
            return
        }
        pool.submit { [self] in
            defer { zipMemory?.give(kept) }
            guard state.withLock({ $0.failure == nil }) else { return }
            do throws(BuildError) {
                // Only a guessed key waits for the HEADs made ahead; any other is checked now.
                let uploaded = try found(artifact.key) ? false
                    : Publisher.ensure(made, in: bucket, dryRun: false, zipMemory: zipMemory)
                let (done, total) = state.withLock { state in
                    state.outcomes[artifact.key] = uploaded
                    state.done += Int64(artifact.size)
                    return (state.done, state.total)
                }
                if uploaded { progress.transfer(done, total) }
                if uploaded, case .remade = made.bytes {
                    progress.note("the bucket lacked \(artifact.key): its folder was zipped again from the commit")
                }
            } catch {
                state.withLock { if $0.failure == nil { $0.failure = error } }
            }
        }
    }

    /// Waits for every queued upload; the first failure is thrown. Key → uploaded (true)
    /// or already in the bucket (false).
    func finish() throws(BuildError) -> [String: Bool] {
        pool.wait()
        let (outcomes, failure) = state.withLock { ($0.outcomes, $0.failure) }
        if let failure { throw failure }
        return outcomes
    }
}
