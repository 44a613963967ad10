@testable import Agent
import AWS
import Foundation
import MemoryStore
import SQLite
import Testing

/// The Lambda runner's state across execution environments, over MemoryStore (which
/// answers 304 and 412 as S3 and moto do): the lock object and the journal in the bucket.
@Suite struct StateLeaseTests {
    let store = MemoryStore()
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    init() { store.createBucket("silo") }

    var lease: StateLease { StateLease(store: store, bucket: "silo", key: "ferry/agent/lock") }

    @Test func theFirstTakerWinsAndTheSecondSeesWhoHoldsIt() throws {
        guard case .acquired = try lease.acquire(owner: "env-a/1", expiresAt: start + 60, now: start) else {
            Issue.record("the first taker did not get the lock"); return
        }
        let second = try lease.acquire(owner: "env-b/2", expiresAt: start + 90, now: start + 10)
        #expect(second == .held(owner: "env-a/1", expiresAt: start + 60))
    }

    @Test func aReleasedLockCanBeTakenAgain() throws {
        guard case .acquired(let etag) = try lease.acquire(owner: "env-a/1", expiresAt: start + 60, now: start) else {
            Issue.record("not acquired"); return
        }
        #expect(try lease.release(etag: etag))
        #expect(try store.headObject(bucket: "silo", key: "ferry/agent/lock", versionId: nil) == nil)
        guard case .acquired = try lease.acquire(owner: "env-b/2", expiresAt: start + 90, now: start + 1) else {
            Issue.record("a released lock was not taken"); return
        }
    }

    @Test func aStaleLockIsTakenOverAndItsOldHolderCannotReleaseIt() throws {
        guard case .acquired(let old) = try lease.acquire(owner: "env-a/1", expiresAt: start + 60, now: start) else {
            Issue.record("not acquired"); return
        }
        guard case .acquired(let new) = try lease.acquire(owner: "env-b/2", expiresAt: start + 200, now: start + 61)
        else { Issue.record("a lock past its expiry was not taken over"); return }
        #expect(old != new)
        // The killed holder comes back: its release must not free the new holder's lock.
        #expect(try lease.release(etag: old) == false)
        let third = try lease.acquire(owner: "env-c/3", expiresAt: start + 300, now: start + 62)
        #expect(third == .held(owner: "env-b/2", expiresAt: start + 200))
    }

    @Test func anUnreadableLockCountsAsHeldUntilItIsOld() throws {
        _ = try store.putObject(bucket: "silo", key: "ferry/agent/lock", data: Data("garbage".utf8),
                                options: S3.PutOptions())
        let now = Date()
        #expect(try lease.acquire(owner: "env-a/1", expiresAt: now + 60, now: now)
                == .held(owner: "an unreadable lock", expiresAt: nil))
        guard case .acquired = try lease.acquire(owner: "env-a/1", expiresAt: now + 4000, now: now + 3600) else {
            Issue.record("an old unreadable lock was not taken over"); return
        }
    }

    @Test func aMissingBucketIsAClearErrorAndWritesNothing() {
        let missing = StateLease(store: store, bucket: "nope", key: "ferry/agent/lock")
        #expect(throws: AgentError.self) { try missing.acquire(owner: "a", expiresAt: start + 1, now: start) }
        do {
            _ = try missing.acquire(owner: "a", expiresAt: start + 1, now: start)
        } catch {
            #expect(error.message.contains("taking the lock s3://nope/ferry/agent/lock failed"))
            #expect(error.message.contains("check that the agent may read, write and delete objects"))
        }
        #expect(store.requestCounts()[.put] == 2)
    }
}

@Suite struct StateStoreTests {
    let store = MemoryStore()
    let folder: String

    init() throws {
        store.createBucket("silo")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("statestore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/b", withIntermediateDirectories: true)
    }

    func state(_ environment: String) -> StateStore {
        StateStore(store: store, bucket: "silo", key: "ferry/agent/journal.sqlite",
                   path: "\(folder)/\(environment)/journal.sqlite")
    }

    func write(_ journal: Journal, pipeline: String) throws {
        try journal.database.run("CREATE TABLE IF NOT EXISTS marks (pipeline TEXT)")
        try journal.database.run("INSERT INTO marks VALUES (?)", [.text(pipeline)])
    }

    func marks(_ path: String) throws -> [String] {
        let database = try Database(path: path)
        return try database.query("SELECT pipeline FROM marks ORDER BY rowid").compactMap { $0[0].string }
    }

    @Test func aColdStartDownloadsWhatAnotherEnvironmentUploaded() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = state("a")
        #expect(try a.sync() == .absent)
        do {
            let journal = try Journal(path: a.path)
            try write(journal, pipeline: "webapp")
            try a.upload(journal.database)
        }
        let b = state("b")
        #expect(try b.sync() == .downloaded)
        #expect(try marks(b.path) == ["webapp"])
        #expect(try b.sync() == .unchanged)
        #expect(b.etag == a.etag)
    }

    @Test func aStaleEnvironmentGets412AndReloads() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = state("a")
        _ = try a.sync()
        do {
            let journal = try Journal(path: a.path)
            try a.upload(journal.database)
        }
        let b = state("b")
        _ = try b.sync()
        do {
            let journal = try Journal(path: b.path)
            try write(journal, pipeline: "from-b")
            try b.upload(journal.database)
        }
        // Environment a still holds the first ETag: its write is refused, nothing is replaced.
        let journal = try Journal(path: a.path)
        try write(journal, pipeline: "from-a")
        do {
            try a.upload(journal.database)
            Issue.record("a stale upload was accepted")
        } catch {
            #expect(error.code == .locked)
            #expect(error.message.contains("another environment wrote the journal"))
        }
        #expect(try a.sync() == .downloaded)
        #expect(try marks(a.path) == ["from-b"])
    }

    @Test func twoFirstUploadsCannotBothWin() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = state("a"), b = state("b")
        _ = try a.sync()
        _ = try b.sync()
        let first = try Journal(path: a.path)
        try a.upload(first.database)
        let second = try Journal(path: b.path)
        #expect(throws: AgentError.self) { try b.upload(second.database) }
    }
}
