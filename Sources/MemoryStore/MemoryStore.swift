import AWS
import Basics
import Crypto
import Foundation
import HTTP
import Synchronization

/// An S3 bucket world in memory, following moto's and S3's answers for what Ferry uses
/// (see `ObjectStore`): quoted-MD5 ETags, version ids and delete markers, 304 on a
/// matching `If-None-Match`, 412 on a failed condition, `NoSuchKey` vs `NoSuchBucket`
/// (404) vs `AccessDenied` (403). It serves unit tests and the fleet simulator: one
/// mutex, and a conditional GET that still matches costs two hash lookups and no copy
/// of the body. Requests are counted by kind.
///
/// Access denial models a bucket policy `Deny` on object calls (`deny(bucket:prefix:)`):
/// 403 `AccessDenied` on GET, PUT and DELETE as moto answers (the behaviour table checks
/// GET against moto), and on HEAD as AWS answers (moto does not check HEAD against a
/// policy). Listings are only refused when the whole bucket is denied.
public final class MemoryStore: ObjectStore, Sendable {
    /// A request kind, for `requestCounts()`.
    public enum RequestKind: Int, CaseIterable, Sendable, CustomStringConvertible {
        case get, put, head, list, listVersions, delete

        public var description: String {
            switch self {
            case .get: "GET"
            case .put: "PUT"
            case .head: "HEAD"
            case .list: "LIST"
            case .listVersions: "LIST_VERSIONS"
            case .delete: "DELETE"
            }
        }
    }

    private let state = Mutex(World())
    private let now: @Sendable () -> Date

    /// `now` stamps `lastModified` (the fleet simulator passes its simulated clock).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    // MARK: Setting up the world

    /// Creates an empty bucket (versioned by default, as Ferry's bucket is). Creating it
    /// again keeps its objects.
    public func createBucket(_ name: String, versioned: Bool = true) {
        state.withLock { world in
            if world.buckets[name] == nil { world.buckets[name] = Bucket(versioned: versioned) }
        }
    }

    /// Turns versioning on, or suspends it (new writes then replace the `null` version).
    public func setVersioning(_ bucket: String, enabled: Bool) {
        state.withLock { world in
            world.buckets[bucket]?.versioned = enabled
            if !enabled { world.buckets[bucket]?.suspended = true }
        }
    }

    /// Refuses object calls (403 `AccessDenied`) on keys starting with `prefix`; the
    /// empty prefix denies the whole bucket, listings included.
    public func deny(bucket: String, prefix: String = "") {
        state.withLock { $0.buckets[bucket]?.denied.append(prefix) }
    }

    /// Lifts every denial on `bucket`.
    public func allowAll(bucket: String) {
        state.withLock { $0.buckets[bucket]?.denied.removeAll() }
    }

    /// Requests answered so far (errors included), by kind.
    public func requestCounts() -> [RequestKind: Int] {
        state.withLock { world in
            Dictionary(uniqueKeysWithValues: RequestKind.allCases.map { ($0, world.counts[$0.rawValue]) })
        }
    }

    /// All requests answered so far.
    public var totalRequests: Int { state.withLock { $0.counts.reduce(0, +) } }

    public func resetCounts() {
        state.withLock { world in
            for index in world.counts.indices { world.counts[index] = 0 }
        }
    }

    // MARK: ObjectStore

    public func headObject(bucket: String, key: String, versionId: String? = nil) throws(AWSError) -> S3.ObjectInfo? {
        guard let versionId else {
            guard case .object(let info) = try headLatest(bucket: bucket, key: key) else { return nil }
            return info
        }
        let found = try state.withLock { (world) throws(AWSError) -> Version? in
            world.count(.head)
            guard let stored = world.buckets[bucket] else { return nil }
            try stored.checkAccess(key, "S3.HeadObject")
            guard let version = stored.objects[key]?.last(where: { $0.id == versionId }) else { return nil }
            if version.isDeleteMarker {
                throw AWSError(code: AWSError.Code("MethodNotAllowed"), message: "HTTP 405 without an error body",
                               status: 405, operation: "S3.HeadObject")
            }
            return version
        }
        return found.map { $0.info(versioned: $0.id != "null") }
    }

    public func headLatest(bucket: String, key: String) throws(AWSError) -> S3.Latest {
        try state.withLock { (world) throws(AWSError) -> S3.Latest in
            world.count(.head)
            guard let stored = world.buckets[bucket] else { return .absent }
            try stored.checkAccess(key, "S3.HeadObject")
            guard let latest = stored.objects[key]?.last else { return .absent }
            return latest.isDeleteMarker ? .deleteMarker : .object(latest.info(versioned: latest.id != "null"))
        }
    }

    public func getObject(bucket: String, key: String, options: S3.GetOptions = S3.GetOptions(),
                          limit: Int = 16 << 20) throws(AWSError) -> S3.GetResult<Data> {
        guard let version = try read(bucket: bucket, key: key, options: options) else { return .notModified }
        let body = version.body ?? Data()
        guard body.count <= limit else {
            throw Self.tooLarge(bucket: bucket, key: key, limit: Int64(limit))
        }
        return .object(version.info(versioned: version.id != "null"), body)
    }

    public func getObject(bucket: String, key: String, toFile path: String, limit: Int64,
                          options: S3.GetOptions = S3.GetOptions()) throws(AWSError) -> S3.GetResult<DownloadedFile> {
        guard let version = try read(bucket: bucket, key: key, options: options) else { return .notModified }
        let body = version.body ?? Data()
        guard Int64(body.count) <= limit else {
            try? FileManager.default.removeItem(atPath: path)
            throw Self.tooLarge(bucket: bucket, key: key, limit: limit)
        }
        do {
            try body.write(to: URL(fileURLWithPath: path))
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw AWSError(code: .network, message: "no complete answer from s3 (memory)", operation: "S3.GetObject",
                           cause: HTTPError(code: .fileIO, message: "cannot write the downloaded body to \(path)",
                                            cause: "\(error)", method: .get, url: "memory://\(bucket)/\(key)"))
        }
        let digest = sha256Hex(body)
        return .object(version.info(versioned: version.id != "null"),
                       DownloadedFile(path: path, byteCount: Int64(body.count), sha256: digest))
    }

    public func putObject(bucket: String, key: String, data: Data,
                          options: S3.PutOptions = S3.PutOptions()) throws(AWSError) -> S3.PutResult {
        let etag = "\"" + Hex.encode(Insecure.MD5.hash(data: data)) + "\""
        let date = now()
        return try state.withLock { (world) throws(AWSError) -> S3.PutResult in
            world.count(.put)
            guard let stored = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.PutObject") }
            try stored.checkAccess(key, "S3.PutObject")
            let latest = stored.objects[key]?.last.flatMap { $0.isDeleteMarker ? nil : $0 }
            switch options.condition {
            case .always: break
            case .ifAbsent:
                if latest != nil { throw Self.preconditionFailed("S3.PutObject") }
            case .ifMatch(let expected):
                guard let latest else {
                    throw AWSError(code: .noSuchKey, message: "The specified key does not exist.", status: 404,
                                   operation: "S3.PutObject")
                }
                if latest.etag != expected { throw Self.preconditionFailed("S3.PutObject") }
            }
            let id = stored.versioned ? world.nextVersionId() : "null"
            var metadata: [String: String] = [:]
            for (name, value) in options.metadata { metadata[name.lowercased()] = value }
            let version = Version(id: id, body: data, etag: etag, lastModified: date,
                                  contentType: options.contentType ?? "binary/octet-stream", metadata: metadata)
            stored.append(version, to: key)
            return S3.PutResult(etag: etag, versionId: stored.versioned ? id : nil)
        }
    }

    public func putObject(bucket: String, key: String, file path: String,
                          options: S3.PutOptions = S3.PutOptions()) throws(AWSError) -> S3.PutResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSError(code: .fileIO, message: "cannot read \(path) to upload it: check that it exists and is readable")
        }
        return try putObject(bucket: bucket, key: key, data: data, options: options)
    }

    public func listObjects(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                            pageSize: Int? = nil) throws(AWSError) -> S3.Listing {
        try state.withLock { (world) throws(AWSError) -> S3.Listing in
            world.count(.list)
            guard let stored = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.ListObjectsV2") }
            try stored.checkListing("S3.ListObjectsV2")
            var listing = S3.Listing()
            var folders = Set<String>()
            for key in Self.keys(of: stored, prefix: prefix) {
                guard let latest = stored.objects[key]?.last, !latest.isDeleteMarker else { continue }
                let rest = key.dropFirst(prefix?.count ?? 0)
                if let delimiter, !delimiter.isEmpty, let range = rest.range(of: delimiter) {
                    folders.insert((prefix ?? "") + rest[..<range.upperBound])
                    continue
                }
                listing.objects.append(S3.ListedObject(key: key, etag: latest.etag, size: Int64(latest.body?.count ?? 0),
                                                       lastModified: latest.lastModified))
            }
            listing.commonPrefixes = folders.sorted()
            return listing
        }
    }

    public func listObjectVersions(bucket: String, prefix: String? = nil,
                                   pageSize: Int? = nil) throws(AWSError) -> [S3.ObjectVersion] {
        try state.withLock { (world) throws(AWSError) -> [S3.ObjectVersion] in
            world.count(.listVersions)
            guard let stored = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.ListObjectVersions") }
            try stored.checkListing("S3.ListObjectVersions")
            var versions: [S3.ObjectVersion] = []
            for key in Self.keys(of: stored, prefix: prefix) {
                let history = stored.objects[key] ?? []
                for (offset, version) in history.reversed().enumerated() {
                    versions.append(S3.ObjectVersion(
                        key: key, versionId: version.id, isLatest: offset == 0, isDeleteMarker: version.isDeleteMarker,
                        lastModified: version.lastModified, etag: version.isDeleteMarker ? nil : version.etag,
                        size: Int64(version.body?.count ?? 0)))
                }
            }
            return versions
        }
    }

    public func bucketVersioning(bucket: String) throws(AWSError) -> S3.Versioning {
        try state.withLock { (world) throws(AWSError) -> S3.Versioning in
            guard let found = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.GetBucketVersioning") }
            return found.versioned ? .enabled : found.suspended ? .suspended : .neverEnabled
        }
    }

    public func deleteObject(bucket: String, key: String, versionId: String? = nil) throws(AWSError) {
        let date = now()
        try state.withLock { (world) throws(AWSError) in
            world.count(.delete)
            guard let stored = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.DeleteObject") }
            try stored.checkAccess(key, "S3.DeleteObject")
            if let versionId {
                stored.objects[key]?.removeAll { $0.id == versionId }
                if stored.objects[key]?.isEmpty == true { stored.objects[key] = nil }
            } else if stored.versioned {
                stored.objects[key, default: []].append(Version(marker: world.nextVersionId(), lastModified: date))
            } else if stored.objects[key]?.contains(where: { $0.id != "null" }) == true {
                // Suspended versioning: a `null` delete marker replaces the `null` version.
                stored.append(Version(marker: "null", lastModified: date), to: key)
            } else {
                stored.objects[key] = nil
            }
        }
    }

    // MARK: Internals

    /// The version a GET answers with, or nil for 304.
    private func read(bucket: String, key: String, options: S3.GetOptions) throws(AWSError) -> Version? {
        try state.withLock { (world) throws(AWSError) -> Version? in
            world.count(.get)
            guard let stored = world.buckets[bucket] else { throw Self.noSuchBucket(bucket, "S3.GetObject") }
            try stored.checkAccess(key, "S3.GetObject")
            let version: Version
            if let versionId = options.versionId {
                guard let found = stored.objects[key]?.last(where: { $0.id == versionId }) else {
                    throw AWSError(code: .noSuchVersion, message: "The specified version does not exist.", status: 404,
                                   operation: "S3.GetObject")
                }
                if found.isDeleteMarker {
                    throw AWSError(code: AWSError.Code("MethodNotAllowed"),
                                   message: "The specified method is not allowed against this resource.",
                                   status: 405, operation: "S3.GetObject")
                }
                version = found
            } else {
                guard let latest = stored.objects[key]?.last, !latest.isDeleteMarker else {
                    throw AWSError(code: .noSuchKey, message: "The specified key does not exist.", status: 404,
                                   operation: "S3.GetObject")
                }
                version = latest
            }
            if let expected = options.ifMatch, expected != version.etag {
                throw Self.preconditionFailed("S3.GetObject")
            }
            if let etag = options.ifNoneMatch, etag == version.etag { return nil }
            return version
        }
    }

    /// The keys under `prefix`, in order (filtered before sorting: listing one key's
    /// versions does not sort the whole bucket).
    private static func keys(of bucket: Bucket, prefix: String?) -> [String] {
        guard let prefix, !prefix.isEmpty else { return bucket.objects.keys.sorted() }
        return bucket.objects.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    static func noSuchBucket(_ bucket: String, _ operation: String) -> AWSError {
        AWSError(code: .noSuchBucket, message: "The specified bucket does not exist", status: 404, operation: operation)
    }

    static func preconditionFailed(_ operation: String) -> AWSError {
        AWSError(code: .preconditionFailed, message: "At least one of the pre-conditions you specified did not hold",
                 status: 412, operation: operation)
    }

    static func tooLarge(bucket: String, key: String, limit: Int64) -> AWSError {
        AWSError(code: .network, message: "no complete answer from s3 (memory)", operation: "S3.GetObject",
                 cause: HTTPError(code: .tooLarge, message: "the body is larger than the \(limit) bytes allowed",
                                  method: .get, url: "memory://\(bucket)/\(key)"))
    }
}
