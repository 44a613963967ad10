import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

extension SharedBucketTests {
    /// A fresh versioned bucket in an in-memory store.
    static func makeBucket() throws -> SharedBucket { ReleaseFixture.makeBucket(MemoryStore()) }
}

/// What a move costs in requests, counted by the in-memory store.
@Suite struct MoveRequestTests {
    let key = try! SigningKey(seed: Data(repeating: 7, count: 32))
    var writer: PointerSigner { PointerSigner(key: key, trust: TrustStore([(key.publicKey, [.release])])) }

    func pointed(_ version: String) throws -> PointedRelease {
        ReleaseRef(pipeline: "webapp", version: try SemVer(version), manifestSha256: sha256Hex(Data(version.utf8)),
                   bundleSha256: sha256Hex(Data("b".utf8))).pointed
    }

    @Test func withTheWritersMarkAMoveReadsThePointerOnlyElseItsWholeHistory() throws {
        let store = MemoryStore()
        let bucket = ReleaseFixture.makeBucket(store)
        var mark: SerialMark?
        for version in ["1.0.0", "1.1.0", "1.2.0"] {
            let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(try pointed(version)),
                                           reason: "r", by: writer)
            mark = try bucket.commitMarked(plan, by: writer, now: Date()).mark
        }
        store.resetCounts()
        let listed = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(try pointed("1.3.0")),
                                         reason: "r", by: writer)
        // The pointer, the listing, each of the three versions.
        #expect(store.requestCounts()[.listVersions] == 1 && store.requestCounts()[.get] == 4)
        store.resetCounts()
        let marked = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(try pointed("1.3.0")),
                                         reason: "r", by: writer, known: mark)
        #expect(store.totalRequests == 1 && store.requestCounts()[.get] == 1)
        #expect(marked.serial == 4 && listed.serial == 4 && marked.mark == listed.mark)
    }

    @Test func aPointerNeverSetIsPlannedWithoutAListingADeletedOneWithIt() throws {
        let store = MemoryStore()
        let bucket = ReleaseFixture.makeBucket(store)
        func plan(_ version: String) throws -> MovePlan {
            try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(try pointed(version)),
                                reason: "r", by: writer)
        }
        let first = try plan("1.0.0")
        // The GET (404) and a HEAD that finds no version at all: nothing to list.
        #expect(store.requestCounts()[.get] == 1 && store.requestCounts()[.head] == 1)
        #expect(store.requestCounts()[.listVersions] == 0 && first.serial == 1)
        for version in ["1.0.0", "1.1.0"] { _ = try bucket.commit(try plan(version), by: writer, now: Date()) }
        try bucket.delete(key: first.objectKey)
        store.resetCounts()
        // Deleted: the HEAD finds the delete marker, the history is listed and read.
        let after = try plan("1.2.0")
        #expect(store.requestCounts()[.listVersions] == 1 && after.serial == 3)
    }
}
