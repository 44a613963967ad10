import AWS
import Foundation
import HTTP

/// One object store under test: the store, and a way to make a fresh bucket in it.
public struct StoreUnderTest: Sendable {
    public let store: any ObjectStore
    let makeBucket: @Sendable (_ versioned: Bool) throws -> String
    let denyGets: @Sendable (_ bucket: String, _ prefix: String) throws -> Void

    /// `denyGets` refuses GETs of keys under a prefix: a bucket policy `Deny s3:GetObject`
    /// on moto, `MemoryStore.deny` in memory.
    public init(store: any ObjectStore, makeBucket: @escaping @Sendable (_ versioned: Bool) throws -> String,
                denyGets: @escaping @Sendable (_ bucket: String, _ prefix: String) throws -> Void) {
        self.store = store
        self.makeBucket = makeBucket
        self.denyGets = denyGets
    }

    public func bucket(versioned: Bool = true) throws -> String { try makeBucket(versioned) }
}

/// S3's object semantics as a table of behaviours, each with the outcome S3 (moto)
/// gives. `MemoryStoreTests` runs it against the in-memory store, `ObjectStoreMotoTests`
/// (IntegrationTests) against moto: both must see the same outcomes, which is how the
/// model is shown to follow moto. An outcome is a short text: "ok ...", "nil",
/// "notModified", or "error <status> <S3 code>".
public struct StoreBehaviour: Sendable, CustomStringConvertible {
    public let name: String
    public let expected: String
    let run: @Sendable (StoreUnderTest) throws -> String

    public var description: String { name }

    /// Runs the behaviour; an `AWSError` becomes its outcome text.
    public func observe(on world: StoreUnderTest) throws -> String {
        do {
            return try run(world)
        } catch let error as AWSError {
            return Self.text(error)
        }
    }

    static func text(_ error: AWSError) -> String {
        if error.cause?.code == .tooLarge { return "error tooLarge" }
        return "error \(error.status.map(String.init) ?? "-") \(error.code)"
    }

    /// The quoted MD5 hex S3 gives as the ETag of a single-part object.
    static let helloETag = "\"5d41402abc4b2a76b9719d911017c592\""
    static let hello = Data("hello".utf8)
    static let none = S3.GetOptions()
    static let plain = S3.PutOptions()
}

extension StoreBehaviour {
    private static func put(_ world: StoreUnderTest, _ bucket: String, _ key: String, _ text: String,
                            _ options: S3.PutOptions = plain) throws -> S3.PutResult {
        try world.store.putObject(bucket: bucket, key: key, data: Data(text.utf8), options: options)
    }

    private static func get(_ world: StoreUnderTest, _ bucket: String, _ key: String,
                            _ options: S3.GetOptions = none, limit: Int = 1 << 20) throws -> String {
        switch try world.store.getObject(bucket: bucket, key: key, options: options, limit: limit) {
        case .notModified: return "notModified"
        case .object(let info, let body): return "ok \(String(decoding: body, as: UTF8.self)) etag=\(info.etag ?? "-")"
        }
    }

    public static let all: [StoreBehaviour] = [
        StoreBehaviour(name: "a PUT then GET gives the body and a quoted-MD5 ETag",
                       expected: "ok hello etag=\(helloETag)") { world in
            let bucket = try world.bucket()
            let put = try put(world, bucket, "a.txt", "hello")
            guard put.etag == helloETag else { return "put etag \(put.etag ?? "-")" }
            return try get(world, bucket, "a.txt")
        },
        StoreBehaviour(name: "GET If-None-Match with the current ETag is 304",
                       expected: "notModified") { world in
            let bucket = try world.bucket()
            let etag = try put(world, bucket, "a.txt", "hello").etag
            return try get(world, bucket, "a.txt", S3.GetOptions(ifNoneMatch: etag))
        },
        StoreBehaviour(name: "GET If-None-Match with a stale ETag gives the object",
                       expected: "ok two etag=\"b8a9f715dbb64fd5c56e7783c6820a61\"") { world in
            let bucket = try world.bucket()
            let etag = try put(world, bucket, "a.txt", "one").etag
            _ = try put(world, bucket, "a.txt", "two")
            return try get(world, bucket, "a.txt", S3.GetOptions(ifNoneMatch: etag))
        },
        StoreBehaviour(name: "GET If-Match with a stale ETag is 412", expected: "error 412 PreconditionFailed") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "a.txt", "hello")
            return try get(world, bucket, "a.txt", S3.GetOptions(ifMatch: "\"0000\""))
        },
        StoreBehaviour(name: "GET of a missing key is 404 NoSuchKey", expected: "error 404 NoSuchKey") { world in
            try get(world, try world.bucket(), "missing.txt")
        },
        StoreBehaviour(name: "GET in a missing bucket is 404 NoSuchBucket", expected: "error 404 NoSuchBucket") { world in
            try get(world, "ferry-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())", "a.txt")
        },
        StoreBehaviour(name: "PUT in a missing bucket is 404 NoSuchBucket", expected: "error 404 NoSuchBucket") { world in
            _ = try put(world, "ferry-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())", "a.txt", "x")
            return "ok"
        },
        StoreBehaviour(name: "HEAD of a missing key or bucket is nil", expected: "nil nil") { world in
            let bucket = try world.bucket()
            let key = try world.store.headObject(bucket: bucket, key: "missing", versionId: nil)
            let other = try world.store.headObject(bucket: "ferry-no-such-bucket-x1", key: "a", versionId: nil)
            return "\(key == nil ? "nil" : "found") \(other == nil ? "nil" : "found")"
        },
        StoreBehaviour(name: "HEAD gives the size, ETag, content type and metadata",
                       expected: "ok 5 \(helloETag) application/json ferry-sha256=abc") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "a.json", "hello",
                        S3.PutOptions(contentType: "application/json", metadata: ["Ferry-SHA256": "abc"]))
            guard let info = try world.store.headObject(bucket: bucket, key: "a.json", versionId: nil) else { return "nil" }
            let metadata = info.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "ok \(info.size) \(info.etag ?? "-") \(info.contentType ?? "-") \(metadata)"
        },
        StoreBehaviour(name: "PUT If-None-Match * writes a free key once, then 412",
                       expected: "written error 412 PreconditionFailed ok first") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "once", "first", S3.PutOptions(condition: .ifAbsent))
            var second = "written"
            do { _ = try put(world, bucket, "once", "second", S3.PutOptions(condition: .ifAbsent)) } catch let error as AWSError {
                second = text(error)
            }
            return "written \(second) \(try get(world, bucket, "once").split(separator: " ").prefix(2).joined(separator: " "))"
        },
        StoreBehaviour(name: "PUT If-Match with the current ETag swaps", expected: "ok new") { world in
            let bucket = try world.bucket()
            let etag = try put(world, bucket, "p", "old").etag ?? ""
            _ = try put(world, bucket, "p", "new", S3.PutOptions(condition: .ifMatch(etag)))
            return try get(world, bucket, "p").split(separator: " ").prefix(2).joined(separator: " ")
        },
        StoreBehaviour(name: "PUT If-Match with a stale ETag is 412", expected: "error 412 PreconditionFailed") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "p", "old")
            _ = try put(world, bucket, "p", "new", S3.PutOptions(condition: .ifMatch("\"0123\"")))
            return "ok"
        },
        StoreBehaviour(name: "PUT If-Match on a missing key is 404 NoSuchKey", expected: "error 404 NoSuchKey") { world in
            _ = try put(world, try world.bucket(), "p", "new", S3.PutOptions(condition: .ifMatch("\"0123\"")))
            return "ok"
        },
        StoreBehaviour(name: "a GET over the size cap is refused", expected: "error tooLarge") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "big", String(repeating: "x", count: 100))
            return try get(world, bucket, "big", limit: 10)
        },
        StoreBehaviour(name: "a GET to a file hashes it; over the cap nothing is left",
                       expected: "ok 5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 | error tooLarge gone") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "f", "hello")
            let path = NSTemporaryDirectory() + "ferry-store-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard case .object(_, let file) = try world.store.getObject(bucket: bucket, key: "f", toFile: path, limit: 100,
                                                                          options: none) else { return "notModified" }
            let first = "ok \(file.byteCount) \(file.sha256)"
            var second = "written"
            do {
                _ = try world.store.getObject(bucket: bucket, key: "f", toFile: path, limit: 2, options: none)
            } catch let error as AWSError {
                second = text(error)
            }
            return "\(first) | \(second) \(FileManager.default.fileExists(atPath: path) ? "left" : "gone")"
        },
        StoreBehaviour(name: "a versioned bucket keeps every version; GET by version id reads an old one",
                       expected: "ok one | 2 versions, latest two") { world in
            let bucket = try world.bucket()
            let first = try put(world, bucket, "v", "one")
            _ = try put(world, bucket, "v", "two")
            let old = try get(world, bucket, "v", S3.GetOptions(versionId: first.versionId)).split(separator: " ").prefix(2)
            let versions = try world.store.listObjectVersions(bucket: bucket, prefix: "v", pageSize: nil)
            let latest = versions.first { $0.isLatest }
            let body = try latest.map { try get(world, bucket, "v", S3.GetOptions(versionId: $0.versionId)) } ?? ""
            return "\(old.joined(separator: " ")) | \(versions.count) versions, latest \(body.split(separator: " ")[1])"
        },
        StoreBehaviour(name: "DELETE in a versioned bucket adds a delete marker and keeps the versions",
                       expected: "error 404 NoSuchKey | latest marker, 2 versions, 1 markers | nil | listed 0") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "d", "one")
            _ = try put(world, bucket, "d", "two")
            try world.store.deleteObject(bucket: bucket, key: "d", versionId: nil)
            let read: String
            do { read = try get(world, bucket, "d") } catch let error as AWSError { read = text(error) }
            let versions = try world.store.listObjectVersions(bucket: bucket, prefix: "d", pageSize: nil)
            // moto lists the versions before the delete markers, S3 interleaves them newest
            // first: what both agree on is which one is latest, and the counts.
            let latest = versions.first { $0.isLatest }.map { $0.isDeleteMarker ? "marker" : "version" } ?? "none"
            let markers = versions.filter(\.isDeleteMarker).count
            let kinds = "latest \(latest), \(versions.count - markers) versions, \(markers) markers"
            let head = try world.store.headObject(bucket: bucket, key: "d", versionId: nil)
            let listed = try world.store.listObjects(bucket: bucket, prefix: nil, delimiter: nil, pageSize: nil).objects.count
            return "\(read) | \(kinds) | \(head == nil ? "nil" : "found") | listed \(listed)"
        },
        StoreBehaviour(name: "HEAD of the latest version tells a delete marker from a key never written",
                       expected: "object 5 | deleteMarker | absent | absent") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "h", "hello")
            func latest(_ key: String, in bucket: String) throws -> String {
                switch try world.store.headLatest(bucket: bucket, key: key) {
                case .object(let info): "object \(info.size)"
                case .deleteMarker: "deleteMarker"
                case .absent: "absent"
                }
            }
            let found = try latest("h", in: bucket)
            try world.store.deleteObject(bucket: bucket, key: "h", versionId: nil)
            let unversioned = try world.bucket(versioned: false)
            _ = try put(world, unversioned, "u", "one")
            try world.store.deleteObject(bucket: unversioned, key: "u", versionId: nil)
            return [found, try latest("h", in: bucket), try latest("never", in: bucket), try latest("u", in: unversioned)]
                .joined(separator: " | ")
        },
        StoreBehaviour(name: "PUT If-None-Match * after a delete marker writes", expected: "ok again") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "k", "first")
            try world.store.deleteObject(bucket: bucket, key: "k", versionId: nil)
            _ = try put(world, bucket, "k", "again", S3.PutOptions(condition: .ifAbsent))
            return try get(world, bucket, "k").split(separator: " ").prefix(2).joined(separator: " ")
        },
        StoreBehaviour(name: "an unversioned bucket has one null version and DELETE removes it",
                       expected: "null 1 | 0") { world in
            let bucket = try world.bucket(versioned: false)
            _ = try put(world, bucket, "u", "one")
            _ = try put(world, bucket, "u", "two")
            let versions = try world.store.listObjectVersions(bucket: bucket, prefix: "u", pageSize: nil)
            try world.store.deleteObject(bucket: bucket, key: "u", versionId: nil)
            let after = try world.store.listObjectVersions(bucket: bucket, prefix: "u", pageSize: nil)
            return "\(versions.map(\.versionId).joined(separator: ",")) \(versions.count) | \(after.count)"
        },
        StoreBehaviour(name: "a listing by prefix and delimiter gives objects and folders in key order",
                       expected: "a/1,a/2 | a/b/,a/c/ | 5") { world in
            let bucket = try world.bucket()
            for key in ["a/2", "a/1", "a/b/x", "a/c/y", "b/z"] { _ = try put(world, bucket, key, key) }
            let folder = try world.store.listObjects(bucket: bucket, prefix: "a/", delimiter: "/", pageSize: nil)
            let all = try world.store.listObjects(bucket: bucket, prefix: nil, delimiter: nil, pageSize: nil)
            return "\(folder.objects.map(\.key).joined(separator: ",")) | "
                + "\(folder.commonPrefixes.joined(separator: ",")) | \(all.objects.count)"
        },
        StoreBehaviour(name: "a GET refused by the bucket's policy is 403 AccessDenied; other keys still read",
                       expected: "error 403 AccessDenied | ok open") { world in
            let bucket = try world.bucket()
            _ = try put(world, bucket, "secret/x", "x")
            _ = try put(world, bucket, "open/y", "open")
            try world.denyGets(bucket, "secret/")
            let denied: String
            do { denied = try get(world, bucket, "secret/x") } catch let error as AWSError { denied = text(error) }
            return "\(denied) | \(try get(world, bucket, "open/y").split(separator: " ").prefix(2).joined(separator: " "))"
        },
        StoreBehaviour(name: "a listing in a missing bucket is 404 NoSuchBucket", expected: "error 404 NoSuchBucket") { world in
            _ = try world.store.listObjects(bucket: "ferry-no-such-bucket-x2", prefix: nil, delimiter: nil, pageSize: nil)
            return "ok"
        },
    ]
}
