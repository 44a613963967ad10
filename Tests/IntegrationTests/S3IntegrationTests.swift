import AWS
import Crypto
import Foundation
import HTTP
import TestSupport
import Testing

/// S3 against the shared moto server (path-style, a fresh bucket per test).
@Suite struct S3IntegrationTests {
    let http = HTTPClient()
    let config: AWSConfig
    let s3: S3
    let bucket = uniqueName("ferry-s3")

    init() throws {
        config = try AWSTestConfig.make(http: http, s3: S3Settings(multipartThreshold: 8 << 20, partSize: 5 << 20))
        s3 = S3(config: config)
        try s3.createBucket(bucket)
        try s3.putBucketVersioning(bucket)
    }


    @Test func putsGetsAndHeadsObjectsWithAwkwardKeys() throws {
        let key = "releases/webapp/1.2.0+build.7/a b ü=&?.zip"
        let data = Data("hello ferry".utf8)
        let put = try s3.putObject(bucket: bucket, key: key, data: data,
                                   options: .init(contentType: "application/zip", metadata: ["Sha256": TestDigest.sha256(data)]))
        #expect(put.etag != nil && put.versionId != nil)

        let got = try s3.getObject(bucket: bucket, key: key)
        #expect(got.body == data)
        #expect(got.info?.etag == put.etag)
        #expect(got.info?.metadata["sha256"] == TestDigest.sha256(data))

        let head = try #require(try s3.headObject(bucket: bucket, key: key))
        #expect(head.size == Int64(data.count) && head.etag == put.etag && head.contentType == "application/zip")
        #expect(try s3.headObject(bucket: bucket, key: key + "-missing") == nil)

        let range = try s3.getObject(bucket: bucket, key: key, options: .init(range: "bytes=0-4"))
        #expect(range.body == Data("hello".utf8))

        #expect(try s3.listObjects(bucket: bucket, prefix: "releases/").objects.map(\.key) == [key])

        let missing = #expect(throws: AWSError.self) { try s3.getObject(bucket: bucket, key: "nope") }
        #expect(missing?.code == .noSuchKey && missing?.isNotFound == true && missing?.status == 404)
    }

    @Test func anIdleConditionalPollIsTwoRequestsAndNotAnError() throws {
        let pin = try s3.putObject(bucket: bucket, key: "pins/a.json", data: Data("{}".utf8))
        let channel = try s3.putObject(bucket: bucket, key: "channels/a.json", data: Data("{\"serial\":1}".utf8))
        http.resetRequestCounts()
        let first = try s3.getObject(bucket: bucket, key: "pins/a.json", options: .init(ifNoneMatch: pin.etag))
        let second = try s3.getObject(bucket: bucket, key: "channels/a.json", options: .init(ifNoneMatch: channel.etag))
        guard case .notModified = first, case .notModified = second else {
            Issue.record("expected not modified, got \(first) and \(second)")
            return
        }
        #expect(http.requestCounts == RequestCounts(total: 2, byMethod: [.get: 2]))

        let stale = #expect(throws: AWSError.self) {
            try s3.getObject(bucket: bucket, key: "pins/a.json", options: .init(ifMatch: "\"0000\""))
        }
        #expect(stale?.code == .preconditionFailed)
    }

    @Test func writeOnceObjectsRefuseASecondWrite() throws {
        let key = "releases/webapp/1.0.0/manifest.json"
        _ = try s3.putObject(bucket: bucket, key: key, data: Data("one".utf8), options: .init(condition: .ifAbsent))
        let again = #expect(throws: AWSError.self) {
            try s3.putObject(bucket: bucket, key: key, data: Data("two".utf8), options: .init(condition: .ifAbsent))
        }
        #expect(again?.code == .preconditionFailed && again?.status == 412)
        #expect(try s3.getObject(bucket: bucket, key: key).body == Data("one".utf8))
    }

    @Test func compareAndSwapLosesARaceLoudly() throws {
        let key = "channels/webapp/stable.json"
        let start = try s3.putObject(bucket: bucket, key: key, data: Data("serial 1".utf8))
        let seen = try #require(start.etag)
        // Two people read the same pointer; the first move wins...
        _ = try s3.putObject(bucket: bucket, key: key, data: Data("serial 2 by alice".utf8), options: .init(condition: .ifMatch(seen)))
        // ...and the second, still holding the old ETag, is refused instead of overwriting.
        let lost = #expect(throws: AWSError.self) {
            try s3.putObject(bucket: bucket, key: key, data: Data("serial 2 by bob".utf8), options: .init(condition: .ifMatch(seen)))
        }
        #expect(lost?.code == .preconditionFailed)
        #expect(try s3.getObject(bucket: bucket, key: key).body == Data("serial 2 by alice".utf8))
        let versions = try s3.listObjectVersions(bucket: bucket, prefix: key)
        #expect(versions.count == 2 && versions.filter(\.isLatest).count == 1)
    }

    @Test func multipartRoundTripOf30MegabytesKeepsItsSHA256() throws {
        let dir = try TemporaryDirectory()
        let source = dir.url("bundle.zip")
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<(30 << 20) / 8).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } })
        try data.write(to: URL(fileURLWithPath: source))
        http.resetRequestCounts()
        let put = try s3.putObject(bucket: bucket, key: "bundle.zip", file: source)
        #expect(put.etag?.contains("-6") == true)  // a multipart ETag: six 5 MiB parts
        #expect(http.requestCounts[.put] == 6)      // UploadPart x6; create and complete are POSTs

        let target = dir.url("download.zip")
        let got = try s3.getObject(bucket: bucket, key: "bundle.zip", toFile: target, limit: 31 << 20)
        #expect(got.body?.sha256 == TestDigest.sha256(data))
        #expect(got.body?.byteCount == Int64(data.count))

        let tooSmall = #expect(throws: AWSError.self) {
            try s3.getObject(bucket: bucket, key: "bundle.zip", toFile: dir.url("capped.zip"), limit: 1 << 20)
        }
        #expect(tooSmall?.cause?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: dir.url("capped.zip")))
    }

    @Test func listingsFollowEveryPage() throws {
        for index in 0..<5 {
            _ = try s3.putObject(bucket: bucket, key: "status/webapp/silo-\(index).json", data: Data("\(index)".utf8))
        }
        _ = try s3.putObject(bucket: bucket, key: "status/webapp/silo-0.json", data: Data("again".utf8))
        http.resetRequestCounts()
        let listing = try s3.listObjects(bucket: bucket, prefix: "status/", pageSize: 2)
        #expect(listing.objects.map(\.key) == (0..<5).map { "status/webapp/silo-\($0).json" })
        #expect(http.requestCounts[.get] == 3)
        let folders = try s3.listObjects(bucket: bucket, prefix: "status/", delimiter: "/")
        #expect(folders.commonPrefixes == ["status/webapp/"] && folders.objects.isEmpty)

        let versions = try s3.listObjectVersions(bucket: bucket, prefix: "status/", pageSize: 2)
        #expect(versions.count == 6)
        #expect(versions.filter { $0.key.hasSuffix("silo-0.json") }.count == 2)

        try s3.deleteObject(bucket: bucket, key: "status/webapp/silo-4.json")
        #expect(try s3.listObjects(bucket: bucket, prefix: "status/").objects.count == 4)
        #expect(try s3.listObjectVersions(bucket: bucket, prefix: "status/webapp/silo-4").contains { $0.isDeleteMarker })
    }
}
