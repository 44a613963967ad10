import AWS
import Foundation
import SQLite

/// The journal kept in the silo's own bucket, for an agent whose disk does not outlive it
/// (a Lambda function's /tmp): downloaded when its ETag changed (a conditional GET: 304
/// costs one request), uploaded with compare-and-swap (`If-Match` on the ETag it was
/// downloaded or last uploaded with; `If-None-Match: *` for the first). A 412 means another
/// environment wrote it: this one stops, reloads next time and deploys nothing meanwhile.
///
/// The upload is a consistent snapshot of the open journal (`VACUUM INTO`), so it is taken
/// beside a live connection in WAL mode. One thread at a time.
public final class StateStore {
    /// What `sync` did to the local journal.
    public enum Sync: Sendable, Equatable {
        /// The local journal is the bucket's (a 304).
        case unchanged
        /// The bucket's journal replaced the local one (a cold start, or another environment wrote it).
        case downloaded
        /// The bucket has no journal yet: the local one (if any) is removed, the agent starts afresh.
        case absent
    }

    public let store: any ObjectStore
    public let bucket: String
    public let key: String
    /// The local journal file (`<state-dir>/journal.sqlite`).
    public let path: String
    /// The ETag of the bucket's journal the local file equals; nil before the first sync.
    public private(set) var etag: String?
    /// Whether the bucket has a journal (`etag` then names it).
    public private(set) var exists = false
    /// The journal's size limit (it holds a step log and small records: far below this).
    public static let sizeLimit: Int64 = 256 << 20

    public init(store: any ObjectStore, bucket: String, key: String, path: String) {
        self.store = store
        self.bucket = bucket
        self.key = key
        self.path = path
    }

    /// Makes the local journal the bucket's. `replacing` is called before the local file is
    /// replaced or removed: close every connection open on `path` there (a `304` keeps them).
    public func sync(replacing: () -> Void = {}) throws(AgentError) -> Sync {
        let local = FileManager.default.fileExists(atPath: path)
        let options = S3.GetOptions(ifNoneMatch: local && exists ? etag : nil)
        let incoming = path + ".download"
        do {
            switch try store.getObject(bucket: bucket, key: key, toFile: incoming, limit: Self.sizeLimit,
                                       options: options) {
            case .notModified:
                return .unchanged
            case .object(let info, _):
                replacing()
                removeLocal()
                guard rename(incoming, path) == 0 else {
                    throw AgentError(.journal, "cannot move the downloaded journal to \(path): "
                        + "\(String(cString: strerror(errno))); check the state folder's disk", next: .transient)
                }
                etag = info.etag
                exists = true
                return .downloaded
            }
        } catch let error as AWSError where error.code == .noSuchKey {
            replacing()
            removeLocal()
            etag = nil
            exists = false
            return .absent
        } catch let error as AWSError {
            try? FileManager.default.removeItem(atPath: incoming)
            throw StateLease.failure(error, doing: "reading the journal s3://\(bucket)/\(key)")
        } catch let error as AgentError {
            throw error
        } catch {
            throw AgentError(.journal, "reading the journal s3://\(bucket)/\(key) failed: \(error)", next: .transient)
        }
    }

    /// Uploads a snapshot of `database` (the open journal) with compare-and-swap. Throws
    /// `.locked` when another environment wrote the bucket's journal since (412): stop,
    /// deploy nothing more; the next `sync` loads theirs.
    public func upload(_ database: Database) throws(AgentError) {
        let snapshot = path + ".upload"
        try? FileManager.default.removeItem(atPath: snapshot)
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        do {
            try database.run("VACUUM INTO ?", [.text(snapshot)])
        } catch {
            throw AgentError(.journal, "cannot snapshot the journal into \(snapshot): \(error); check the state "
                + "folder's disk", next: .transient, cause: error)
        }
        let condition: S3.WriteCondition = exists ? .ifMatch(etag ?? "") : .ifAbsent
        do {
            let put = try store.putObject(bucket: bucket, key: key, file: snapshot,
                                          options: S3.PutOptions(condition: condition,
                                                                 contentType: "application/vnd.sqlite3"))
            etag = put.etag
            exists = true
        } catch where error.code == .preconditionFailed || (exists && error.code == .noSuchKey) {
            // Forget the ETag: the next sync downloads what the other environment wrote.
            etag = nil
            throw AgentError(.locked, "another environment wrote the journal s3://\(bucket)/\(key) since this one read "
                + "it (\(error.code)); this invocation stops at its next safe point and the next one loads the "
                + "journal again", next: .transient, cause: error)
        } catch {
            throw StateLease.failure(error, doing: "writing the journal s3://\(bucket)/\(key)")
        }
    }

    /// Removes the local journal and its WAL files.
    private func removeLocal() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
