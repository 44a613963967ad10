import AWS
import Foundation

/// Everything a `MemoryStore` holds, guarded by its mutex.
struct World {
    var buckets: [String: Bucket] = [:]
    /// Requests by `MemoryStore.RequestKind.rawValue`.
    var counts = [Int](repeating: 0, count: MemoryStore.RequestKind.allCases.count)
    private var lastVersion: UInt64 = 0

    mutating func count(_ kind: MemoryStore.RequestKind) {
        counts[kind.rawValue] &+= 1
    }

    /// A new version id: unique in the store, and sorting in write order.
    mutating func nextVersionId() -> String {
        lastVersion += 1
        let digits = String(lastVersion)
        return "v" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}

/// One bucket: each key's versions, oldest first (the last is the current one). A class,
/// so a write changes the bucket in place instead of copying its table of keys.
final class Bucket {
    var versioned: Bool
    /// Versioning was on once and is now suspended (else, when off, never enabled).
    var suspended = false
    var objects: [String: [Version]] = [:]
    /// Key prefixes whose object calls answer 403; "" is the whole bucket.
    var denied: [String] = []

    init(versioned: Bool) {
        self.versioned = versioned
    }

    func checkAccess(_ key: String, _ operation: String) throws(AWSError) {
        guard !denied.isEmpty, denied.contains(where: { key.hasPrefix($0) }) else { return }
        throw Self.accessDenied(operation)
    }

    func checkListing(_ operation: String) throws(AWSError) {
        if denied.contains("") { throw Self.accessDenied(operation) }
    }

    /// Adds `version` as the current one. Without versioning it replaces the `null` version.
    func append(_ version: Version, to key: String) {
        if version.id == "null" { objects[key]?.removeAll { $0.id == "null" } }
        objects[key, default: []].append(version)
    }

    static func accessDenied(_ operation: String) -> AWSError {
        AWSError(code: .accessDenied, message: "Access Denied", status: 403, operation: operation)
    }
}

/// One version of an object, or a delete marker (`body` nil).
struct Version: Sendable {
    let id: String
    let body: Data?
    let etag: String
    let lastModified: Date
    let contentType: String?
    let metadata: [String: String]

    var isDeleteMarker: Bool { body == nil }

    init(id: String, body: Data, etag: String, lastModified: Date, contentType: String?, metadata: [String: String]) {
        self.id = id
        self.body = body
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
        self.metadata = metadata
    }

    init(marker id: String, lastModified: Date) {
        self.id = id
        body = nil
        etag = ""
        self.lastModified = lastModified
        contentType = nil
        metadata = [:]
    }

    /// What HEAD and GET report; an unversioned bucket sends no version id.
    func info(versioned: Bool) -> S3.ObjectInfo {
        S3.ObjectInfo(etag: etag, size: Int64(body?.count ?? 0), versionId: versioned ? id : nil,
                      lastModified: lastModified, contentType: contentType, metadata: metadata)
    }
}
