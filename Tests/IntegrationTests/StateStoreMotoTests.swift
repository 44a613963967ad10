import AWS
@testable import Agent
import Foundation
import TestSupport
import Testing

/// The Lambda runner's lock and journal store against moto over HTTP (versioned bucket, as
/// the silo's artifact bucket is): the 304, 412 and takeover answers StateLeaseTests and
/// StateStoreTests get from MemoryStore are S3's.
struct StateStoreMotoTests {
    func bucket() throws -> (S3, String) {
        let s3 = S3(config: try AWSTestConfig.make())
        let name = uniqueName("ferry-state")
        try s3.createBucket(name)
        try s3.putBucketVersioning(name)
        return (s3, name)
    }

    @Test func theLockIsTakenOnceTakenOverWhenStaleAndNotReleasedByItsOldHolder() throws {
        let (s3, name) = try bucket()
        let lease = StateLease(store: s3, bucket: name, key: "ferry/agent/lock")
        let now = Date()
        guard case .acquired(let old) = try lease.acquire(owner: "a/1", expiresAt: now + 60, now: now) else {
            Issue.record("not acquired"); return
        }
        guard case .held(let owner, _) = try lease.acquire(owner: "b/2", expiresAt: now + 60, now: now) else {
            Issue.record("a held lock was taken"); return
        }
        #expect(owner == "a/1")
        guard case .acquired(let new) = try lease.acquire(owner: "b/2", expiresAt: now + 300, now: now + 120) else {
            Issue.record("a stale lock was not taken over"); return
        }
        #expect(try lease.release(etag: old) == false)
        #expect(try lease.release(etag: new))
        #expect(try s3.headObject(bucket: name, key: "ferry/agent/lock", versionId: nil) == nil)
    }

    @Test func aStaleJournalUploadIsRefusedAndTheNextSyncLoadsTheOther() throws {
        let (s3, name) = try bucket()
        let folder = try TemporaryDirectory("ferry-state")
        try FileManager.default.createDirectory(atPath: folder.url("a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.url("b"), withIntermediateDirectories: true)
        let a = StateStore(store: s3, bucket: name, key: "ferry/agent/journal.sqlite", path: folder.url("a/journal.sqlite"))
        let b = StateStore(store: s3, bucket: name, key: "ferry/agent/journal.sqlite", path: folder.url("b/journal.sqlite"))
        #expect(try a.sync() == .absent)
        try a.upload(try Journal(path: a.path).database)
        #expect(try a.sync() == .unchanged)  // a 304
        #expect(try b.sync() == .downloaded)
        try b.upload(try Journal(path: b.path).database)
        do {
            try a.upload(try Journal(path: a.path).database)
            Issue.record("a stale upload was accepted")
        } catch {
            #expect(error.code == .locked)
        }
        #expect(try a.sync() == .downloaded)
        #expect(a.etag == b.etag)
    }
}
