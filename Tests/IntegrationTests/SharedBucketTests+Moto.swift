import AWS
import Bucket
import TestSupport

extension SharedBucketTests {
    /// A fresh versioned bucket on the local moto server.
    static func makeBucket() throws -> SharedBucket { try ReleaseFixture.makeBucket(S3(config: try AWSTestConfig.make())) }
}
