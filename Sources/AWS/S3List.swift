import Foundation

extension S3 {
    /// An object in a listing.
    public struct ListedObject: Sendable, Equatable {
        public let key: String
        public let etag: String?
        public let size: Int64
        public let lastModified: Date?

        public init(key: String, etag: String?, size: Int64, lastModified: Date?) {
            self.key = key
            self.etag = etag
            self.size = size
            self.lastModified = lastModified
        }
    }

    /// A listing: objects, and the common prefixes ("folders") when a delimiter is given.
    public struct Listing: Sendable, Equatable {
        public var objects: [ListedObject] = []
        public var commonPrefixes: [String] = []

        public init(objects: [ListedObject] = [], commonPrefixes: [String] = []) {
            self.objects = objects
            self.commonPrefixes = commonPrefixes
        }
    }

    /// One version of an object, or a delete marker.
    public struct ObjectVersion: Sendable, Equatable {
        public let key: String
        public let versionId: String
        public let isLatest: Bool
        public let isDeleteMarker: Bool
        public let lastModified: Date?
        public let etag: String?
        public let size: Int64

        public init(key: String, versionId: String, isLatest: Bool, isDeleteMarker: Bool, lastModified: Date?,
                    etag: String?, size: Int64) {
            self.key = key
            self.versionId = versionId
            self.isLatest = isLatest
            self.isDeleteMarker = isDeleteMarker
            self.lastModified = lastModified
            self.etag = etag
            self.size = size
        }
    }

    /// `ListObjectsV2`, every page, in key order. `pageSize` sets `max-keys` (S3's
    /// default and maximum is 1,000).
    public func listObjects(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                            pageSize: Int? = nil) throws(AWSError) -> Listing {
        var listing = Listing()
        var token: String?
        repeat {
            var request = objectRequest("ListObjectsV2", .get, bucket: bucket, key: nil)
            request.query = [("list-type", "2")]
            if let prefix { request.query.append(("prefix", prefix)) }
            if let delimiter { request.query.append(("delimiter", delimiter)) }
            if let pageSize { request.query.append(("max-keys", String(pageSize))) }
            if let token { request.query.append(("continuation-token", token)) }
            let page = try parse(try transport.send(request).body, "S3.ListObjectsV2")
            for item in page.children("Contents") {
                listing.objects.append(ListedObject(
                    key: item.value("Key") ?? "", etag: item.value("ETag"),
                    size: item.value("Size").flatMap { Int64($0) } ?? 0,
                    lastModified: item.value("LastModified").flatMap(ISO8601.parse)))
            }
            listing.commonPrefixes += page.children("CommonPrefixes").compactMap { $0.value("Prefix") }
            token = page.value("IsTruncated") == "true" ? page.value("NextContinuationToken") : nil
        } while token != nil
        return listing
    }

    /// `ListObjectVersions`, every page: versions and delete markers, newest first per key.
    public func listObjectVersions(bucket: String, prefix: String? = nil, pageSize: Int? = nil) throws(AWSError) -> [ObjectVersion] {
        var versions: [ObjectVersion] = []
        var keyMarker: String?
        var versionMarker: String?
        while true {
            var request = objectRequest("ListObjectVersions", .get, bucket: bucket, key: nil)
            request.query = [("versions", "")]
            if let prefix { request.query.append(("prefix", prefix)) }
            if let pageSize { request.query.append(("max-keys", String(pageSize))) }
            if let keyMarker { request.query.append(("key-marker", keyMarker)) }
            if let versionMarker { request.query.append(("version-id-marker", versionMarker)) }
            let page = try parse(try transport.send(request).body, "S3.ListObjectVersions")
            for item in page.children where item.name == "Version" || item.name == "DeleteMarker" {
                versions.append(ObjectVersion(
                    key: item.value("Key") ?? "", versionId: item.value("VersionId") ?? "null",
                    isLatest: item.value("IsLatest") == "true", isDeleteMarker: item.name == "DeleteMarker",
                    lastModified: item.value("LastModified").flatMap(ISO8601.parse), etag: item.value("ETag"),
                    size: item.value("Size").flatMap { Int64($0) } ?? 0))
            }
            guard page.value("IsTruncated") == "true" else { break }
            keyMarker = page.value("NextKeyMarker")
            versionMarker = page.value("NextVersionIdMarker")
            if keyMarker == nil { break }
        }
        return versions
    }

    private func parse(_ body: Data, _ operation: String) throws(AWSError) -> XMLElement {
        do throws(XMLError) {
            return try XMLReader.parse(body)
        } catch {
            throw AWSError(code: .invalidResponse, message: "unreadable listing: \(error)", operation: operation)
        }
    }
}
