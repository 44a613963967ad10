import Foundation
import HTTP

/// Amazon S3 (REST, XML): objects with conditional reads and writes, multipart
/// uploads, listings, and the bucket calls the tests and the demo need.
public struct S3: Sendable {
    let config: AWSConfig
    let transport: AWSTransport

    public init(config: AWSConfig) {
        self.config = config
        transport = AWSTransport(config: config, service: .s3)
    }

    /// What S3 says about an object.
    public struct ObjectInfo: Sendable, Equatable {
        public let etag: String?
        public let size: Int64
        public let versionId: String?
        public let lastModified: Date?
        public let contentType: String?
        /// `x-amz-meta-*` headers, names lowercased, prefix removed.
        public let metadata: [String: String]

        public init(etag: String?, size: Int64, versionId: String?, lastModified: Date?, contentType: String?,
                    metadata: [String: String]) {
            self.etag = etag
            self.size = size
            self.versionId = versionId
            self.lastModified = lastModified
            self.contentType = contentType
            self.metadata = metadata
        }
    }

    /// A conditional GET's outcome: the object, or "not modified" (304), never an error.
    public enum GetResult<Body: Sendable>: Sendable {
        case notModified
        case object(ObjectInfo, Body)

        /// The body, or nil when not modified.
        public var body: Body? { if case .object(_, let body) = self { body } else { nil } }
        /// The object's info, or nil when not modified.
        public var info: ObjectInfo? { if case .object(let info, _) = self { info } else { nil } }
    }

    /// Conditions and selectors of a GET.
    public struct GetOptions: Sendable {
        /// Answer 304 (`.notModified`) when the object still has this ETag.
        public var ifNoneMatch: String?
        /// Fail with 412 (`.preconditionFailed`) unless the object has this ETag.
        public var ifMatch: String?
        /// An HTTP range, e.g. `bytes=0-9`.
        public var range: String?
        public var versionId: String?

        public init(ifNoneMatch: String? = nil, ifMatch: String? = nil, range: String? = nil, versionId: String? = nil) {
            self.ifNoneMatch = ifNoneMatch
            self.ifMatch = ifMatch
            self.range = range
            self.versionId = versionId
        }
    }

    /// When a PUT may happen.
    public enum WriteCondition: Sendable, Equatable {
        case always
        /// Only if no object has the key (`If-None-Match: *`): write-once objects.
        case ifAbsent
        /// Only if the object still has this ETag (`If-Match`): compare-and-swap.
        case ifMatch(String)
    }

    /// A PUT's options.
    public struct PutOptions: Sendable {
        public var condition: WriteCondition
        public var contentType: String?
        /// Sent as `x-amz-meta-<name>`.
        public var metadata: [String: String]
        /// The body's SHA-256 (hex), when the caller knows it: signed as the payload hash,
        /// so the body is not read again to hash it and S3 refuses other bytes. (A multipart
        /// upload hashes each part itself.)
        public var contentSHA256: String?

        public init(condition: WriteCondition = .always, contentType: String? = nil, metadata: [String: String] = [:],
                    contentSHA256: String? = nil) {
            self.condition = condition
            self.contentType = contentType
            self.metadata = metadata
            self.contentSHA256 = contentSHA256
        }
    }

    /// What a successful write returns.
    public struct PutResult: Sendable, Equatable {
        public let etag: String?
        public let versionId: String?

        public init(etag: String?, versionId: String?) {
            self.etag = etag
            self.versionId = versionId
        }
    }

    /// What a HEAD of a key's latest version finds.
    public enum Latest: Sendable, Equatable {
        case object(ObjectInfo)
        /// The latest version is a delete marker: the key has a history.
        case deleteMarker
        /// No version at all: the key was never written (or every version was removed).
        case absent
    }

    /// `HeadObject`: the object's info, or nil when there is no such object (404).
    public func headObject(bucket: String, key: String, versionId: String? = nil) throws(AWSError) -> ObjectInfo? {
        let response = try head(bucket: bucket, key: key, versionId: versionId)
        return response.status == 404 ? nil : Self.info(response.headers, size: nil)
    }

    /// `HeadObject` of the latest version, telling a deleted key from one never written:
    /// S3 (and moto) answer a HEAD whose latest version is a delete marker with 404 and
    /// `x-amz-delete-marker: true`. (moto's GET leaves that header out; its HEAD sends it.)
    public func headLatest(bucket: String, key: String) throws(AWSError) -> Latest {
        let response = try head(bucket: bucket, key: key, versionId: nil)
        guard response.status == 404 else { return .object(Self.info(response.headers, size: nil)) }
        return response.headers["x-amz-delete-marker"]?.lowercased() == "true" ? .deleteMarker : .absent
    }

    private func head(bucket: String, key: String, versionId: String?) throws(AWSError) -> HTTPResponse {
        var request = objectRequest("HeadObject", .head, bucket: bucket, key: key)
        if let versionId { request.query.append(("versionId", versionId)) }
        request.accepted = [404]
        return try transport.send(request)
    }

    /// `GetObject` into memory, refusing bodies over `limit` bytes. A 304 for
    /// `ifNoneMatch` is `.notModified`; a missing key throws `.noSuchKey`.
    public func getObject(bucket: String, key: String, options: GetOptions = GetOptions(),
                          limit: Int = 16 << 20) throws(AWSError) -> GetResult<Data> {
        let response = try get(bucket: bucket, key: key, options: options, destination: .memory(limit: limit))
        if response.status == 304 { return .notModified }
        return .object(Self.info(response.headers, size: Int64(response.body.count)), response.body)
    }

    /// `GetObject` streamed into a file (created or replaced), hashed with SHA-256 as it
    /// arrives, refusing more than `limit` bytes. On any failure the file is removed: a
    /// short or oversized download is never left behind as if complete.
    public func getObject(bucket: String, key: String, toFile path: String, limit: Int64,
                          options: GetOptions = GetOptions()) throws(AWSError) -> GetResult<DownloadedFile> {
        let response = try get(bucket: bucket, key: key, options: options, destination: .file(path: path, limit: limit))
        if response.status == 304 { return .notModified }
        guard let file = response.file else {
            throw AWSError(code: .invalidResponse, message: "GetObject returned no file", operation: "S3.GetObject")
        }
        return .object(Self.info(response.headers, size: file.byteCount), file)
    }

    private func get(bucket: String, key: String, options: GetOptions, destination: ResponseDestination) throws(AWSError) -> HTTPResponse {
        var request = objectRequest("GetObject", .get, bucket: bucket, key: key)
        request.destination = destination
        if let versionId = options.versionId { request.query.append(("versionId", versionId)) }
        if let etag = options.ifNoneMatch {
            request.headers["If-None-Match"] = etag
            request.accepted = [304]
        }
        if let etag = options.ifMatch { request.headers["If-Match"] = etag }
        if let range = options.range { request.headers["Range"] = range }
        return try transport.send(request)
    }

    /// `PutObject` from memory. A failed condition throws `.preconditionFailed` (412).
    public func putObject(bucket: String, key: String, data: Data, options: PutOptions = PutOptions()) throws(AWSError) -> PutResult {
        try put(bucket: bucket, key: key, body: .bytes(data), options: options)
    }

    /// `PutObject` from a file, streamed; above `config.s3.multipartThreshold` bytes a
    /// multipart upload (aborted on failure). A failed condition throws `.preconditionFailed`.
    public func putObject(bucket: String, key: String, file path: String, options: PutOptions = PutOptions()) throws(AWSError) -> PutResult {
        let size: Int64
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw AWSError(code: .fileIO, message: "cannot read \(path) to upload it: check that it exists and is readable")
        }
        if size > config.s3.multipartThreshold {
            return try multipartUpload(bucket: bucket, key: key, file: path, size: size, options: options)
        }
        return try put(bucket: bucket, key: key, body: .file(path: path), options: options)
    }

    private func put(bucket: String, key: String, body: HTTPBody, options: PutOptions) throws(AWSError) -> PutResult {
        var request = objectRequest("PutObject", .put, bucket: bucket, key: key)
        request.body = body
        request.payloadSHA256 = options.contentSHA256
        Self.apply(options, to: &request.headers)
        let response = try transport.send(request)
        return PutResult(etag: response.headers["ETag"], versionId: response.headers["x-amz-version-id"])
    }

    /// `DeleteObject` (a delete marker in a versioned bucket, or one version).
    public func deleteObject(bucket: String, key: String, versionId: String? = nil) throws(AWSError) {
        var request = objectRequest("DeleteObject", .delete, bucket: bucket, key: key)
        if let versionId { request.query.append(("versionId", versionId)) }
        _ = try transport.send(request)
    }

    /// `CreateBucket` in the config's region. Already owning it is not an error.
    public func createBucket(_ bucket: String) throws(AWSError) {
        var request = objectRequest("CreateBucket", .put, bucket: bucket, key: nil)
        if config.region != "us-east-1" {
            let body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(config.region)</LocationConstraint></CreateBucketConfiguration>"
            request.body = .bytes(Data(body.utf8))
        }
        do {
            _ = try transport.send(request)
        } catch where error.code == .bucketAlreadyOwnedByYou {
            return
        }
    }

    /// `PutBucketVersioning`: turn versioning on (or suspend it).
    public func putBucketVersioning(_ bucket: String, enabled: Bool = true) throws(AWSError) {
        var request = objectRequest("PutBucketVersioning", .put, bucket: bucket, key: nil)
        request.query = [("versioning", "")]
        let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>"
            + (enabled ? "Enabled" : "Suspended") + "</Status></VersioningConfiguration>"
        request.body = .bytes(Data(body.utf8))
        _ = try transport.send(request)
    }

    /// A request for a bucket (`key` nil) or an object, path-style or virtual-hosted.
    func objectRequest(_ operation: String, _ method: HTTPMethod, bucket: String, key: String?) -> AWSRequest {
        let encodedKey = key.map { "/" + AWSEncoding.uriEncode($0, keepSlash: true) } ?? "/"
        var request = AWSRequest(operation: "S3.\(operation)", method: method)
        if usesVirtualHost(bucket), let endpoint = try? transport.endpoint.get() {
            request.host = "\(bucket).\(endpoint.host)"
            request.path = encodedKey
        } else {
            request.path = "/" + AWSEncoding.uriEncode(bucket) + (key == nil ? "" : encodedKey)
        }
        return request
    }

    private func usesVirtualHost(_ bucket: String) -> Bool {
        switch config.s3.addressingStyle {
        case .path: return false
        case .virtual: return true
        case .auto:
            guard let endpoint = try? transport.endpoint.get(), !endpoint.isCustom else { return false }
            let allowed = bucket.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
            return allowed && (3...63).contains(bucket.count)
        }
    }

    static func apply(_ options: PutOptions, to headers: inout HTTPHeaders) {
        switch options.condition {
        case .always: break
        case .ifAbsent: headers["If-None-Match"] = "*"
        case .ifMatch(let etag): headers["If-Match"] = etag
        }
        if let contentType = options.contentType { headers["Content-Type"] = contentType }
        for (name, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            headers["x-amz-meta-\(name.lowercased())"] = value
        }
    }

    static func info(_ headers: HTTPHeaders, size: Int64?) -> ObjectInfo {
        var metadata: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return ObjectInfo(
            etag: headers["ETag"],
            size: size ?? headers["Content-Length"].flatMap { Int64($0) } ?? 0,
            versionId: headers["x-amz-version-id"],
            lastModified: headers["Last-Modified"].flatMap(HTTPDate.parse),
            contentType: headers["Content-Type"],
            metadata: metadata)
    }
}
