import AWS
import Basics
import Foundation
import HTTP
import Manifest

/// The shared, versioned release bucket as Ferry uses it (DESIGN.md, "Bucket layout"):
/// write-once release objects and artifacts, documents read with ETags, and
/// compare-and-swap writes for pointers and pins. The builder, the agent and on-call all
/// go through this type, so they agree on the protocol exactly. It works over any
/// `ObjectStore`: `S3` in the product, `MemoryStore` in unit tests and the simulator.
public struct SharedBucket: Sendable {
    public let store: any ObjectStore
    public let name: String
    public let layout: BucketLayout

    /// The metadata key under which Ferry records an object's SHA-256 on write, so a
    /// second publish can tell "same bytes" from "different bytes" with one HEAD.
    static let digestMetadata = "ferry-sha256"

    public init(store: any ObjectStore, name: String, layout: BucketLayout = BucketLayout()) {
        self.store = store
        self.name = name
        self.layout = layout
    }

    /// The bucket `name` over S3.
    public init(s3: S3, name: String, layout: BucketLayout = BucketLayout()) {
        self.init(store: s3, name: name, layout: layout)
    }

    // MARK: Write-once objects

    /// What a write-once PUT did.
    public enum WriteOnce: Sendable, Equatable {
        case written
        /// The key already held these exact bytes: nothing to do.
        case alreadyThere
    }

    /// Writes `data` under `key` only if the key is free (`If-None-Match: *`). The same
    /// bytes already there is `.alreadyThere`; different bytes throw `.releaseExists`.
    public func writeOnce(key: String, data: Data) throws(BucketError) -> WriteOnce {
        try writeOnce(key: key, data: data, sha256: sha256Hex(data))
    }

    /// `writeOnce(key:data:)` for bytes whose SHA-256 the caller computed as it made them.
    public func writeOnce(key: String, data: Data, sha256: String) throws(BucketError) -> WriteOnce {
        try writeOnce(key: key, sha256: sha256) { (options) throws(AWSError) in
            _ = try store.putObject(bucket: name, key: key, data: data, options: options)
        }
    }

    /// Writes the file at `path` (whose SHA-256 is `sha256`) under `key` only if the key
    /// is free; see `writeOnce(key:data:)`.
    public func writeOnce(key: String, file path: String, sha256: String) throws(BucketError) -> WriteOnce {
        try writeOnce(key: key, sha256: sha256) { (options) throws(AWSError) in
            _ = try store.putObject(bucket: name, key: key, file: path, options: options)
        }
    }

    private func writeOnce(key: String, sha256: String,
                           put: (S3.PutOptions) throws(AWSError) -> Void) throws(BucketError) -> WriteOnce {
        do {
            try put(S3.PutOptions(condition: .ifAbsent, metadata: [Self.digestMetadata: sha256], contentSHA256: sha256))
            return .written
        } catch where error.code == .preconditionFailed {
            let existing = try digest(of: key)
            guard existing == sha256 else {
                throw BucketError(.releaseExists, "s3://\(name)/\(key) already exists with different bytes "
                    + "(sha256 \(existing ?? "unknown")): a published release is never replaced; publish a new version")
            }
            return .alreadyThere
        } catch {
            throw BucketError(error, doing: "writing s3://\(name)/\(key)")
        }
    }

    /// The SHA-256 Ferry recorded when it wrote `key`, or nil when the object has none.
    /// Throws `.notFound` when there is no such object.
    public func digest(of key: String) throws(BucketError) -> String? {
        let info: S3.ObjectInfo?
        do {
            info = try store.headObject(bucket: name, key: key, versionId: nil)
        } catch {
            throw BucketError(error, doing: "reading s3://\(name)/\(key)")
        }
        guard let info else { throw BucketError(.notFound, "s3://\(name)/\(key) does not exist") }
        return info.metadata[Self.digestMetadata]
    }

    /// Whether an object exists under `key` (one HEAD).
    public func exists(key: String) throws(BucketError) -> Bool {
        do {
            return try store.headObject(bucket: name, key: key, versionId: nil) != nil
        } catch {
            throw BucketError(error, doing: "checking s3://\(name)/\(key)")
        }
    }

    // MARK: Reading

    /// A document read with its ETag.
    public enum Read: Sendable, Equatable {
        /// No object under the key.
        case absent
        /// The object still has the ETag given as `ifNoneMatch` (HTTP 304).
        case notModified
        case found(Data, etag: String)
    }

    /// Reads a small document (a pointer, pin, manifest, status), refusing more than `cap`
    /// bytes. With `ifNoneMatch`, an unchanged object costs one request and no body.
    public func read(key: String, ifNoneMatch: String? = nil, versionId: String? = nil,
                     cap: Int) throws(BucketError) -> Read {
        do {
            let result = try store.getObject(bucket: name, key: key,
                                          options: S3.GetOptions(ifNoneMatch: ifNoneMatch, versionId: versionId),
                                          limit: cap)
            switch result {
            case .notModified: return .notModified
            case .object(let info, let body): return .found(body, etag: info.etag ?? "")
            }
        } catch where error.isNotFound {
            return .absent
        } catch where error.cause?.code == .tooLarge {
            throw BucketError(.tooLarge, "s3://\(name)/\(key) is larger than the \(cap) bytes Ferry reads for it: refused")
        } catch {
            throw BucketError(error, doing: "reading s3://\(name)/\(key)")
        }
    }

    /// Reads a document that must exist; `.notFound` otherwise.
    public func require(key: String, cap: Int, what: String) throws(BucketError) -> Data {
        switch try read(key: key, cap: cap) {
        case .found(let data, _): return data
        case .absent, .notModified: throw BucketError(.notFound, "\(what) is not in the bucket (s3://\(name)/\(key))")
        }
    }

    /// Streams an object to `path`, never more than `limit` bytes, and checks its SHA-256
    /// as it arrives. On any failure nothing is left at `path`.
    public func download(key: String, to path: String, limit: Int64,
                         sha256 expected: String) throws(BucketError) -> DownloadedFile {
        let result: S3.GetResult<DownloadedFile>
        do {
            result = try store.getObject(bucket: name, key: key, toFile: path, limit: limit, options: S3.GetOptions())
        } catch where error.cause?.code == .tooLarge {
            throw BucketError(.tooLarge, "s3://\(name)/\(key) is larger than the \(limit) bytes the manifest allows: refused")
        } catch {
            throw BucketError(error, doing: "downloading s3://\(name)/\(key)")
        }
        guard case .object(_, let file) = result else {
            throw BucketError(.storage, "s3://\(name)/\(key): S3 answered 304 to an unconditional GET")
        }
        guard file.sha256 == expected else {
            try? FileManager.default.removeItem(atPath: path)
            throw BucketError(.digestMismatch, "s3://\(name)/\(key) has sha256 \(file.sha256), but \(expected) was "
                + "signed for it: the object was altered or replaced; refused")
        }
        return file
    }

    /// Every object under `prefix`, in key order.
    public func list(prefix: String) throws(BucketError) -> [S3.ListedObject] {
        do {
            return try store.listObjects(bucket: name, prefix: prefix, delimiter: nil, pageSize: nil).objects
        } catch {
            throw BucketError(error, doing: "listing s3://\(name)/\(prefix)")
        }
    }

    /// The names one level under `prefix` (`releases/webapp/` gives the versions).
    public func folders(under prefix: String) throws(BucketError) -> [String] {
        do {
            return try store.listObjects(bucket: name, prefix: prefix, delimiter: "/", pageSize: nil).commonPrefixes
                .map { String($0.dropFirst(prefix.count).dropLast()) }
        } catch {
            throw BucketError(error, doing: "listing s3://\(name)/\(prefix)")
        }
    }

    /// Every version (and delete marker) of exactly `key`, in the store's order (S3: newest
    /// first; moto lists delete markers last): sort by `isLatest` / `lastModified`.
    public func versions(of key: String) throws(BucketError) -> [S3.ObjectVersion] {
        do {
            return try store.listObjectVersions(bucket: name, prefix: key, pageSize: nil).filter { $0.key == key }
        } catch {
            throw BucketError(error, doing: "listing the versions of s3://\(name)/\(key)")
        }
    }

    // MARK: Compare-and-swap

    /// Writes `data` under `key` only if the object still has `etag` (`If-Match`), or,
    /// with `etag` nil, only if there is no object yet (`If-None-Match: *`). Someone else's
    /// write in between throws `.channelMoved`: nothing is lost, read again and retry.
    /// Returns the new ETag.
    @discardableResult
    public func swap(key: String, data: Data, expecting etag: String?) throws(BucketError) -> String {
        try swapObject(key: key, data: data, expecting: etag).etag ?? ""
    }

    /// `swap`, returning what the PUT said (the new ETag and version id).
    func swapObject(key: String, data: Data, expecting etag: String?) throws(BucketError) -> S3.PutResult {
        do {
            let condition: S3.WriteCondition = etag.map { .ifMatch($0) } ?? .ifAbsent
            return try store.putObject(bucket: name, key: key, data: data,
                                       options: S3.PutOptions(condition: condition, contentType: "application/json"))
        } catch where error.code == .preconditionFailed || (etag != nil && error.isNotFound) {
            throw BucketError(.channelMoved, "s3://\(name)/\(key) changed while this command ran (someone else moved "
                + "it): nothing was written; run the command again to act on the new state")
        } catch {
            throw BucketError(error, doing: "writing s3://\(name)/\(key)")
        }
    }

    /// Writes `data` under `key` unconditionally (status reports: one writer per key).
    public func put(key: String, data: Data) throws(BucketError) {
        do {
            _ = try store.putObject(bucket: name, key: key, data: data,
                                    options: S3.PutOptions(contentType: "application/json"))
        } catch {
            throw BucketError(error, doing: "writing s3://\(name)/\(key)")
        }
    }

    /// Deletes `key` (a delete marker: the versions stay as the audit trail).
    public func delete(key: String) throws(BucketError) {
        do {
            try store.deleteObject(bucket: name, key: key, versionId: nil)
        } catch {
            throw BucketError(error, doing: "deleting s3://\(name)/\(key)")
        }
    }
}
