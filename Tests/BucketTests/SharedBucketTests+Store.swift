import Bucket
import MemoryStore
import TestSupport

extension SharedBucketTests {
    /// A fresh versioned bucket in an in-memory store.
    static func makeBucket() throws -> SharedBucket { ReleaseFixture.makeBucket(MemoryStore()) }
}
