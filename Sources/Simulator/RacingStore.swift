import AWS
import Foundation
import HTTP
import Synchronization

/// An object store that lets a rival writer in at the worst moment: when armed, the next
/// compare-and-swap (`If-Match` or `If-None-Match: *`) on `key` first runs `rival`, then
/// goes on to the store. Two rollout controllers thus race deterministically: both read
/// the same pointer, the rival writes first, and the other's swap meets a new ETag (412).
/// Everything else goes straight to the wrapped store.
final class RacingStore: ObjectStore, Sendable {
    let inner: any ObjectStore
    let key: String
    private let armed = Mutex<(@Sendable () -> Void)?>(nil)

    init(_ inner: any ObjectStore, key: String) {
        self.inner = inner
        self.key = key
    }

    /// The next conditional write of `key` runs `rival` before it reaches the store.
    func arm(_ rival: @escaping @Sendable () -> Void) { armed.withLock { $0 = rival } }

    /// Whether the armed rival has not run (no conditional write came).
    func disarm() -> Bool { armed.withLock { state in defer { state = nil }; return state != nil } }

    func putObject(bucket: String, key: String, data: Data, options: S3.PutOptions) throws(AWSError) -> S3.PutResult {
        if key == self.key, options.condition != .always, let rival = armed.withLock({ state in
            defer { state = nil }
            return state
        }) {
            rival()
        }
        return try inner.putObject(bucket: bucket, key: key, data: data, options: options)
    }

    func headObject(bucket: String, key: String, versionId: String?) throws(AWSError) -> S3.ObjectInfo? {
        try inner.headObject(bucket: bucket, key: key, versionId: versionId)
    }

    func headLatest(bucket: String, key: String) throws(AWSError) -> S3.Latest {
        try inner.headLatest(bucket: bucket, key: key)
    }

    func getObject(bucket: String, key: String, options: S3.GetOptions, limit: Int) throws(AWSError) -> S3.GetResult<Data> {
        try inner.getObject(bucket: bucket, key: key, options: options, limit: limit)
    }

    func getObject(bucket: String, key: String, toFile path: String, limit: Int64,
                   options: S3.GetOptions) throws(AWSError) -> S3.GetResult<DownloadedFile> {
        try inner.getObject(bucket: bucket, key: key, toFile: path, limit: limit, options: options)
    }

    func putObject(bucket: String, key: String, file path: String, options: S3.PutOptions) throws(AWSError) -> S3.PutResult {
        try inner.putObject(bucket: bucket, key: key, file: path, options: options)
    }

    func listObjects(bucket: String, prefix: String?, delimiter: String?, pageSize: Int?) throws(AWSError) -> S3.Listing {
        try inner.listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter, pageSize: pageSize)
    }

    func listObjectVersions(bucket: String, prefix: String?, pageSize: Int?) throws(AWSError) -> [S3.ObjectVersion] {
        try inner.listObjectVersions(bucket: bucket, prefix: prefix, pageSize: pageSize)
    }

    func deleteObject(bucket: String, key: String, versionId: String?) throws(AWSError) {
        try inner.deleteObject(bucket: bucket, key: key, versionId: versionId)
    }

    func bucketVersioning(bucket: String) throws(AWSError) -> S3.Versioning {
        try inner.bucketVersioning(bucket: bucket)
    }
}
