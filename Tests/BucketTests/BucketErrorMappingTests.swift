import AWS
import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

/// How the bucket maps the store's errors, over the in-memory store's S3 error shapes.
struct SharedBucketErrorTests {
    @Test func aDeniedKeyIsAStorageErrorNamingAccessDeniedAndNotTransient() throws {
        let store = MemoryStore()
        let bucket = ReleaseFixture.makeBucket(store)
        try bucket.put(key: "ferry/status/webapp/a.json", data: Data("{}".utf8))
        store.deny(bucket: bucket.name, prefix: "ferry/status/")
        let error = #expect(throws: BucketError.self) { try bucket.read(key: "ferry/status/webapp/a.json", cap: 100) }
        #expect(error?.code == .storage && error?.cause?.code == .accessDenied && error?.isTransient == false)
        #expect(error?.description.contains("HTTP 403") == true)
    }

    @Test func anUnchangedDocumentCostsOneGetAndNoBody() throws {
        let store = MemoryStore()
        let bucket = ReleaseFixture.makeBucket(store)
        let etag = try bucket.swap(key: "ferry/channels/webapp/canary.json", data: Data("{}".utf8), expecting: nil)
        store.resetCounts()
        #expect(try bucket.read(key: "ferry/channels/webapp/canary.json", ifNoneMatch: etag, cap: 100) == .notModified)
        #expect(store.requestCounts()[.get] == 1 && store.totalRequests == 1)
    }

    @Test func aMissingBucketReadsAsAbsentAndAWriteSaysNotFound() throws {
        let bucket = SharedBucket(store: MemoryStore(), name: "nowhere")
        #expect(try bucket.read(key: "ferry/x.json", cap: 10) == .absent)
        let error = #expect(throws: BucketError.self) { try bucket.put(key: "ferry/x.json", data: Data()) }
        #expect(error?.code == .notFound && error?.cause?.code == .noSuchBucket)
    }
}
