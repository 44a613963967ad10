import AWS
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// Operations through the fault proxy (Tests/Support/fault_proxy.py) in front of the
/// shared moto server: the proxy stands in for an overloaded service and a bad network,
/// which moto cannot play. Retries sleep through an injected sleeper that records the
/// waits, so these tests do not take the real backoff time.
@Suite struct FaultTests {
    let proxy: FaultProxy
    /// Generous: moto loads a service's code on its first call, which can take a second.
    let http = HTTPClient(configuration: .init(timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(30))))
    let waits = Waits()
    let config: AWSConfig
    let s3: S3
    let bucket = uniqueName("ferry-fault")

    final class Waits: Sendable {
        let value = Mutex<[Duration]>([])
        var all: [Duration] { value.withLock { $0 } }
    }

    init() throws {
        proxy = try FaultProxy(upstream: try TestEnvironment.motoEndpoint())
        let waits = self.waits
        let retrier = Retrier(policy: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(50)), random: { 1 },
                              sleep: { wait in waits.value.withLock { $0.append(wait) } })
        config = try AWSTestConfig.make(endpoint: proxy.endpoint, http: http, retrier: retrier,
                                        s3: S3Settings(multipartThreshold: 6 << 20, partSize: 5 << 20, multipartConcurrency: 2))
        s3 = S3(config: config)
        try s3.createBucket(bucket)
    }


    @Test func slowDownAndServerErrorsAreRetriedHonouringRetryAfter() throws {
        try proxy.inject([.status(503, code: "SlowDown", retryAfter: 2, match: "PUT"), .status(500, code: "InternalError", match: "PUT")])
        let put = try s3.putObject(bucket: bucket, key: "pointer.json", data: Data("{\"serial\":1}".utf8))
        #expect(put.etag != nil)
        #expect(try proxy.log().filter { $0.method == "PUT" && $0.path.hasSuffix("pointer.json") }.map(\.fault)
            == ["status", "status", nil])
        #expect(waits.all == [.seconds(2), .milliseconds(100)])
        #expect(try s3.getObject(bucket: bucket, key: "pointer.json").body == Data("{\"serial\":1}".utf8))
    }

    @Test func throttledQueryCallsAreRetried() throws {
        try proxy.inject([.status(400, code: "Throttling", queryStyle: true), .status(400, code: "RequestLimitExceeded", queryStyle: true)])
        #expect(try CloudFormation(config: config).describeStack(uniqueName("absent")) == nil)
        #expect(try proxy.log().filter { $0.method == "POST" }.map(\.fault) == ["status", "status", nil])
        #expect(waits.all.count == 2)

        // A client error that is not throttling is not retried.
        try proxy.inject([.status(400, code: "ValidationError", queryStyle: true)])
        let error = #expect(throws: AWSError.self) { try STS(config: config).getCallerIdentity() }
        #expect(error?.code == .validationError && error?.message == "injected by the test fault proxy")
        #expect(error?.requestId == "fault-proxy")
        #expect(waits.all.count == 2)
    }

    @Test func aResetUploadIsSentAgainFromTheFileStart() throws {
        let dir = try TemporaryDirectory()
        let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let file = dir.url("bundle.zip")
        try data.write(to: URL(fileURLWithPath: file))
        try proxy.inject([.reset(match: "PUT")])
        _ = try s3.putObject(bucket: bucket, key: "bundle.zip", file: file)
        let got = try s3.getObject(bucket: bucket, key: "bundle.zip", toFile: dir.url("back.zip"), limit: 4_000_000)
        #expect(got.body?.sha256 == TestDigest.sha256(data))
        #expect(try proxy.log().filter { $0.method == "PUT" && $0.path.hasSuffix("bundle.zip") }.map(\.fault) == ["reset", nil])
    }

    @Test func aMultipartUploadSurvivesAFailedPart() throws {
        let dir = try TemporaryDirectory()
        let data = Data((0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let file = dir.url("big.zip")
        try data.write(to: URL(fileURLWithPath: file))
        try proxy.inject([.reset(match: "partNumber=2"), .status(503, match: "partNumber=3")])
        _ = try s3.putObject(bucket: bucket, key: "big.zip", file: file)
        let got = try s3.getObject(bucket: bucket, key: "big.zip", toFile: dir.url("back.zip"), limit: 13 << 20)
        #expect(got.body?.sha256 == TestDigest.sha256(data))
        let faults = try proxy.log().compactMap(\.fault)
        #expect(faults.sorted() == ["reset", "status"])
    }

    @Test func aFailedMultipartUploadIsAborted() throws {
        let dir = try TemporaryDirectory()
        let file = dir.url("big.zip")
        try Data(count: 11 << 20).write(to: URL(fileURLWithPath: file))
        try proxy.inject([.status(400, code: "InvalidRequest", match: "partNumber=2")])
        let error = #expect(throws: AWSError.self) { try s3.putObject(bucket: bucket, key: "aborted.zip", file: file) }
        #expect(error?.code.rawValue == "InvalidRequest")
        let log = try proxy.log()
        #expect(log.contains { $0.method == "DELETE" && $0.path.contains("aborted.zip?uploadId=") })
        #expect(!log.contains { $0.method == "POST" && $0.path.contains("aborted.zip?uploadId=") })  // never completed
        #expect(try s3.headObject(bucket: bucket, key: "aborted.zip") == nil)
    }

    @Test func truncatedAndSlowDownloadsAreRetriedAndNeverAccepted() throws {
        let dir = try TemporaryDirectory()
        let data = Data((0..<500_000).map { UInt8(truncatingIfNeeded: $0) })
        _ = try s3.putObject(bucket: bucket, key: "manifest.json", data: data)

        // A client that gives up on a response after a second: the delayed one times out.
        var impatient = config
        impatient.http = HTTPClient(configuration: .init(timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(1))))
        try proxy.inject([.truncate(match: "GET"), .delay(ms: 2500, match: "GET")])
        let got = try S3(config: impatient).getObject(bucket: bucket, key: "manifest.json", toFile: dir.url("m.json"), limit: 1 << 20)
        #expect(got.body?.sha256 == TestDigest.sha256(data))
        #expect(try proxy.log().filter { $0.method == "GET" }.map(\.fault) == ["truncate", "delay", nil])

        // Out of attempts: the error says truncated, and no partial file is left.
        var once = config
        once.retrier = Retrier(policy: .none)
        try proxy.inject([.truncate(match: "GET")])
        let error = #expect(throws: AWSError.self) {
            try S3(config: once).getObject(bucket: bucket, key: "manifest.json", toFile: dir.url("short.json"), limit: 1 << 20)
        }
        #expect(error?.code == .network && error?.cause?.code == .truncatedBody)
        #expect(!FileManager.default.fileExists(atPath: dir.url("short.json")))
        try proxy.inject([.truncate(match: "GET")])
        let memory = #expect(throws: AWSError.self) { try S3(config: once).getObject(bucket: bucket, key: "manifest.json") }
        #expect(memory?.cause?.code == .truncatedBody)
    }
}
