import Foundation
import HTTP

/// What Ferry needs from an object store: S3's object calls with its conditions and
/// errors. `S3` speaks it over HTTP; `MemoryStore` (its own module) models it in memory
/// for unit tests and the fleet simulator. Both throw the same `AWSError` shapes
/// (HTTP status + S3 error code), so callers map errors identically.
///
/// Semantics every conformer follows (checked against moto by the integration tests):
/// - GET with `ifNoneMatch` equal to the current ETag is `.notModified` (304); with a
///   stale `ifMatch` it throws `PreconditionFailed` (412).
/// - A body over the limit throws `.network` with an `HTTPError` cause `.tooLarge`.
/// - A missing key throws `NoSuchKey` (404), a missing bucket `NoSuchBucket` (404), a
///   refused request `AccessDenied` (403). HEAD answers nil for a missing key or bucket;
///   `headLatest` tells a key whose latest version is a delete marker from one with no
///   version at all.
/// - PUT `.ifAbsent` on an existing key throws 412; `.ifMatch` with a stale ETag throws
///   412 and on a missing key `NoSuchKey` (404, as moto and S3 answer).
/// - DELETE in a versioned bucket adds a delete marker; the versions stay listed.
///   The order of a version listing is not part of the contract: S3 interleaves versions
///   and delete markers newest first per key, moto lists the markers after the versions.
///   Use `isLatest` and `lastModified`, not the position.
public protocol ObjectStore: Sendable {
    func headObject(bucket: String, key: String, versionId: String?) throws(AWSError) -> S3.ObjectInfo?
    /// The latest version of `key`: an object, a delete marker, or none at all.
    func headLatest(bucket: String, key: String) throws(AWSError) -> S3.Latest
    func getObject(bucket: String, key: String, options: S3.GetOptions, limit: Int) throws(AWSError) -> S3.GetResult<Data>
    /// Streams the body into `path` (created or replaced) with its SHA-256; on failure
    /// nothing is left at `path`.
    func getObject(bucket: String, key: String, toFile path: String, limit: Int64,
                   options: S3.GetOptions) throws(AWSError) -> S3.GetResult<DownloadedFile>
    func putObject(bucket: String, key: String, data: Data, options: S3.PutOptions) throws(AWSError) -> S3.PutResult
    func putObject(bucket: String, key: String, file path: String, options: S3.PutOptions) throws(AWSError) -> S3.PutResult
    func listObjects(bucket: String, prefix: String?, delimiter: String?, pageSize: Int?) throws(AWSError) -> S3.Listing
    func listObjectVersions(bucket: String, prefix: String?, pageSize: Int?) throws(AWSError) -> [S3.ObjectVersion]
    func deleteObject(bucket: String, key: String, versionId: String?) throws(AWSError)
    /// `GetBucketVersioning`; a missing bucket throws `NoSuchBucket` (404).
    func bucketVersioning(bucket: String) throws(AWSError) -> S3.Versioning
}

extension S3: ObjectStore {}
