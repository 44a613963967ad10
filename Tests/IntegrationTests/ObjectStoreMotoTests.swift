import AWS
import Foundation
import TestSupport
import Testing

/// The behaviour table of `ObjectStore` against moto over HTTP: the outcomes the
/// in-memory store gives in MemoryStoreTests are the ones S3 (moto) gives here.
struct ObjectStoreMotoTests {
    @Test(arguments: StoreBehaviour.all)
    func motoAnswersAsTheTableSays(_ behaviour: StoreBehaviour) throws {
        let s3 = S3(config: try AWSTestConfig.make())
        let endpoint = try TestEnvironment.motoEndpoint()
        let world = StoreUnderTest(store: s3, makeBucket: { versioned in
            let name = uniqueName("ferry-store")
            try s3.createBucket(name)
            if versioned { try s3.putBucketVersioning(name) }
            return name
        }, denyGets: { bucket, prefix in
            // moto enforces a bucket policy's object actions (not its principals or
            // conditions): a Deny of s3:GetObject answers 403 with no body.
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","#
                + #""Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucket)/\#(prefix)*"}]}"#
            try FerryProcess.runPython(["-m", "awscli", "--endpoint-url", endpoint, "s3api", "put-bucket-policy",
                                        "--bucket", bucket, "--policy", policy]).check()
        })
        let observed = try behaviour.observe(on: world)
        #expect(observed == behaviour.expected)
    }
}
