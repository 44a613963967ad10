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
        let world = StoreUnderTest(store: s3) { versioned in
            let name = uniqueName("ferry-store")
            try s3.createBucket(name)
            if versioned { try s3.putBucketVersioning(name) }
            return name
        }
        let observed = try behaviour.observe(on: world)
        #expect(observed == behaviour.expected)
    }
}
