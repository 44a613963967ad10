import Basics
import Bucket
import Foundation
import Manifest
import MemoryStore
import TestSupport
import Testing

/// The one move and a channel's rollout block: carried by every writer, set by the
/// controller, and no move to a quarantined version without `force`.
@Suite struct RolloutMoveTests {
    static let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)

    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: sha256Hex(Data("m\(version)".utf8)),
                       bundleSha256: sha256Hex(Data("b\(version)".utf8)))
    }

    static func move(_ bucket: SharedBucket, _ version: String, rollout: RolloutUpdate = .keep,
                     force: Bool = false) throws -> Pointer {
        let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(release(version)),
                                       reason: "move to \(version)", by: writer, rollout: rollout, force: force)
        return try bucket.commit(plan, by: writer, now: Date()).pointer
    }

    @Test func theBlockIsCarriedAndAQuarantinedVersionIsRefused() throws {
        let bucket = ReleaseFixture.makeBucket(MemoryStore())
        let waves = [WaveSelector(name: "a", percent: 10), WaveSelector(name: "b")]
        _ = try Self.move(bucket, "1.0.0")
        let started = try Self.move(bucket, "1.0.0", rollout: .set(Rollout(waves: waves, open: 2)))
        #expect(started.serial == 2 && started.rollout?.open == 2)
        // A promote (a move up) starts the rollout at wave 0, remembering what ran.
        let promoted = try Self.move(bucket, "1.1.0")
        #expect(promoted.serial == 3 && promoted.rollout?.open == 0 && promoted.rollout?.previous == Self.release("1.0.0"))
        // The controller halts and quarantines: the same release, another block, a new serial.
        var halted = try #require(promoted.rollout)
        halted.halted = true
        halted.quarantined = [try SemVer("1.1.0")]
        let rolledBack = try Self.move(bucket, "1.0.0", rollout: .set(halted))
        #expect(rolledBack.serial == 4 && rolledBack.rollout?.halted == true)
        // Back to the quarantined version: refused, nothing written; forced, written.
        let error = #expect(throws: BucketError.self) { try Self.move(bucket, "1.1.0") }
        #expect(error?.code == .quarantined)
        #expect(error?.message.contains("pass --force with a --reason") == true)
        #expect(try bucket.currentPointer(pipeline: "webapp", scope: .channel("stable"))?.0.serial == 4)
        let forced = try Self.move(bucket, "1.1.0", force: true)
        let bad = try SemVer("1.1.0")
        #expect(forced.serial == 5 && forced.rollout?.quarantined == [bad])
        #expect(forced.reason == "move to 1.1.0 [forced past the quarantine of 1.1.0]")
    }
}
