import AWS
import Bucket
import Foundation
import MemoryStore
import TestSupport
import Testing

/// `SharedBucket.check`: one GetBucketVersioning tells a wrong bucket name and an
/// unversioned bucket apart from everything else, before a command reads or writes.
struct BucketCheckTests {
    @Test func aMissingBucketSaysNoSuchBucket() {
        let bucket = SharedBucket(store: MemoryStore(), name: "releasse")
        let error = #expect(throws: BucketError.self) { try bucket.check(.exists) }
        #expect(error?.code == .noSuchBucket)
        #expect(error?.message == "no such bucket: s3://releasse does not exist (NoSuchBucket); check --bucket or "
            + "FERRY_BUCKET, and the account, region and endpoint the AWS options name")
    }

    @Test func anUnversionedBucketIsRefusedWithTheCommandThatFixesIt() {
        let store = MemoryStore()
        store.createBucket("plain", versioned: false)
        let bucket = SharedBucket(store: store, name: "plain")
        let error = #expect(throws: BucketError.self) { try bucket.check(.versioning) }
        #expect(error?.code == .unversioned)
        #expect(error?.message.contains("versioning never enabled") == true)
        #expect(error?.message.hasSuffix(
            "aws s3api put-bucket-versioning --bucket plain --versioning-configuration Status=Enabled") == true)
        // Reading status needs no history.
        #expect(throws: Never.self) { try bucket.check(.exists) }
    }

    @Test func aSuspendedBucketIsRefusedAndAVersionedOnePasses() throws {
        let store = MemoryStore()
        store.createBucket("b")
        let bucket = SharedBucket(store: store, name: "b")
        #expect(try bucket.check(.versioning) == nil)
        store.setVersioning("b", enabled: false)
        let error = #expect(throws: BucketError.self) { try bucket.check(.versioning) }
        #expect(error?.message.contains("versioning suspended") == true)
        #expect(try store.bucketVersioning(bucket: "b") == .suspended)
    }
}
