import Bucket
import Fleet
import Foundation
import Manifest
import MemoryStore
import Testing

/// A publish stopped between bundle.zip and manifest.json (issue 13: Ctrl-C during
/// publish): history marks the release half-published, and rollback/pin to it say so
/// instead of "not published; published: 1.8.0" naming the same version.
struct HalfPublishedTests {
    static func onCall() throws -> OnCall {
        let store = MemoryStore()
        store.createBucket("releases")
        let bucket = SharedBucket(store: store, name: "releases")
        try bucket.put(key: "ferry/releases/webapp/1.8.0/bundle.zip", data: Data("zip".utf8))
        return OnCall(bucket: bucket)
    }

    @Test func historyMarksAReleaseWithoutItsManifestAsHalfPublished() throws {
        let entries = try Self.onCall().releaseEntries(pipeline: "webapp")
        #expect(entries.map(\.version.description) == ["1.8.0"])
        #expect(entries.first?.problem?.hasPrefix("half-published: its objects are in the bucket but manifest.json "
            + "is not (a publish was interrupted); run the same `ferry release webapp 1.8.0`") == true)
    }

    @Test func movingToAHalfPublishedReleaseSaysSo() throws {
        let error = #expect(throws: FleetError.self) {
            try Self.onCall().publishedRelease(pipeline: "webapp", version: try SemVer("1.8.0"))
        }
        #expect(error?.message.hasPrefix("release 1.8.0 of webapp is half-published") == true)
        #expect(error?.message.contains("published: 1.8.0") == false)
        #expect(error?.message.hasSuffix("to finish it; nothing was written") == true)
        let other = #expect(throws: FleetError.self) {
            try Self.onCall().publishedRelease(pipeline: "webapp", version: try SemVer("1.9.0"))
        }
        #expect(other?.message.hasPrefix("release 1.9.0 of webapp is not published in s3://releases; published: 1.8.0")
            == true)
    }
}
