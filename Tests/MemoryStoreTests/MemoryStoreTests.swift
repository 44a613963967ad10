import AWS
import Foundation
import MemoryStore
import TestSupport
import Testing

/// The in-memory store against the behaviour table that IntegrationTests also runs
/// against moto (`ObjectStoreMotoTests`): the same outcomes, offline.
struct MemoryStoreTests {
    static func world(_ store: MemoryStore = MemoryStore()) -> StoreUnderTest {
        StoreUnderTest(store: store, makeBucket: { versioned in
            let name = "bucket-\(UUID().uuidString.prefix(8).lowercased())"
            store.createBucket(name, versioned: versioned)
            return name
        }, denyGets: { bucket, prefix in store.deny(bucket: bucket, prefix: prefix) })
    }

    @Test(arguments: StoreBehaviour.all)
    func followsS3(_ behaviour: StoreBehaviour) throws {
        let observed = try behaviour.observe(on: Self.world())
        #expect(observed == behaviour.expected)
    }

    @Test func aDeniedPrefixAnswers403AndTheRestOfTheBucketStillWorks() throws {
        let store = MemoryStore()
        store.createBucket("b")
        _ = try store.putObject(bucket: "b", key: "secret/x", data: Data("x".utf8))
        store.deny(bucket: "b", prefix: "secret/")
        for attempt in [
            { _ = try store.getObject(bucket: "b", key: "secret/x") },
            { _ = try store.headObject(bucket: "b", key: "secret/x") },
            { _ = try store.putObject(bucket: "b", key: "secret/y", data: Data()) },
            { try store.deleteObject(bucket: "b", key: "secret/x") },
        ] as [() throws -> Void] {
            let error = #expect(throws: AWSError.self) { try attempt() }
            #expect(error?.code == .accessDenied && error?.status == 403)
        }
        _ = try store.putObject(bucket: "b", key: "open/y", data: Data("y".utf8))
        #expect(try store.listObjects(bucket: "b").objects.map(\.key) == ["open/y", "secret/x"])
        store.deny(bucket: "b")
        #expect(throws: AWSError.self) { try store.listObjects(bucket: "b") }
        store.allowAll(bucket: "b")
        #expect(try store.getObject(bucket: "b", key: "secret/x").body == Data("x".utf8))
    }

    @Test func requestsAreCountedByKind() throws {
        let store = MemoryStore()
        store.createBucket("b")
        let etag = try store.putObject(bucket: "b", key: "k", data: Data("v".utf8)).etag
        for _ in 0..<3 { _ = try store.getObject(bucket: "b", key: "k", options: S3.GetOptions(ifNoneMatch: etag)) }
        _ = try store.headObject(bucket: "b", key: "k")
        _ = try? store.getObject(bucket: "b", key: "missing")
        _ = try store.listObjects(bucket: "b")
        let counts = store.requestCounts()
        #expect(counts[.put] == 1 && counts[.get] == 4 && counts[.head] == 1 && counts[.list] == 1)
        #expect(counts[.delete] == 0 && store.totalRequests == 7)
        store.resetCounts()
        #expect(store.totalRequests == 0)
    }

    @Test func suspendedVersioningReplacesTheNullVersionAndKeepsOlderOnes() throws {
        let store = MemoryStore()
        store.createBucket("b")
        let kept = try store.putObject(bucket: "b", key: "k", data: Data("1".utf8))
        store.setVersioning("b", enabled: false)
        let first = try store.putObject(bucket: "b", key: "k", data: Data("2".utf8))
        _ = try store.putObject(bucket: "b", key: "k", data: Data("3".utf8))
        #expect(first.versionId == nil)
        let versions = try store.listObjectVersions(bucket: "b", prefix: "k")
        #expect(versions.map(\.versionId) == ["null", try #require(kept.versionId)])
        #expect(try store.getObject(bucket: "b", key: "k").body == Data("3".utf8))
    }

    @Test func manyThreadsReadAndSwapWithoutLosingAWrite() throws {
        let store = MemoryStore()
        store.createBucket("b")
        _ = try store.putObject(bucket: "b", key: "counter", data: Data("0".utf8))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var done = 0
            while done < 50 {
                guard case .object(let info, let body)? = try? store.getObject(bucket: "b", key: "counter") else { continue }
                let next = Int(String(decoding: body, as: UTF8.self))! + 1
                let condition = S3.PutOptions(condition: .ifMatch(info.etag!))
                if (try? store.putObject(bucket: "b", key: "counter", data: Data(String(next).utf8), options: condition)) != nil {
                    done += 1
                }
            }
        }
        #expect(try store.getObject(bucket: "b", key: "counter").body == Data("400".utf8))
        #expect(try store.listObjectVersions(bucket: "b", prefix: "counter").count == 401)
    }
}
