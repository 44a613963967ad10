import Bucket
import Fleet
import Foundation
import Manifest
import Testing

/// The decisions behind rollback and promote: which release --previous names, the digest
/// check, the promote gate and its reason, and what a planned move writes.
struct MoveDecisionTests {
    typealias F = Fixture

    @Test(arguments: [
        // (history as (serial, version), current serial, previous version or nil)
        ([(1, "1.0.0"), (2, "1.1.0")], 2, "1.0.0"),
        ([(1, "1.0.0"), (2, "1.1.0"), (3, "1.2.0")], 3, "1.1.0"),
        // After a rollback to 1.1.0, the version before the current one is 1.2.0.
        ([(1, "1.0.0"), (2, "1.1.0"), (3, "1.2.0"), (4, "1.1.0")], 4, "1.2.0"),
        // Moves that re-pointed at the same release are skipped (a re-signed pointer).
        ([(1, "1.0.0"), (2, "1.1.0"), (3, "1.1.0")], 3, "1.0.0"),
        // Listing order does not matter; serials do.
        ([(3, "1.2.0"), (1, "1.0.0"), (2, "1.1.0")], 3, "1.1.0"),
        // A channel that only ever pointed at one release has no previous.
        ([(1, "1.0.0")], 1, nil),
        ([(1, "1.0.0"), (2, "1.0.0")], 2, nil),
        // Moves newer than the current (not seen yet when read) are ignored.
        ([(1, "1.0.0"), (2, "1.1.0"), (3, "0.9.0")], 2, "1.0.0"),
    ] as [([(Int, String)], Int, String?)])
    func previousIsTheReleaseBeforeTheCurrentOne(history: [(Int, String)], current: Int, expected: String?) {
        let moves = history.map { F.move(serial: $0.0, version: $0.1) }
        let pointer = F.move(serial: current, version: history.first { $0.0 == current }!.1)
        #expect(PointerHistory.previous(current: pointer, moves: moves)?.version.description == expected)
    }

    @Test func aReleaseWhoseDigestsChangedIsRefused() throws {
        let moves = [F.move(serial: 1, version: "1.0.0"), F.move(serial: 2, version: "1.1.0")]
        let same = ReleaseRef(pipeline: "webapp", version: F.v("1.0.0"), manifestSha256: F.digest("m1.0.0"),
                              bundleSha256: F.digest("b1.0.0"))
        try PointerHistory.check(same, against: moves, channel: "stable")
        let never = ReleaseRef(pipeline: "webapp", version: F.v("0.9.0"), manifestSha256: F.digest("x"),
                               bundleSha256: F.digest("y"))
        try PointerHistory.check(never, against: moves, channel: "stable")  // never pointed at: nothing to compare
        for replaced in [
            ReleaseRef(pipeline: "webapp", version: F.v("1.0.0"), manifestSha256: F.digest("other"), bundleSha256: F.digest("b1.0.0")),
            ReleaseRef(pipeline: "webapp", version: F.v("1.0.0"), manifestSha256: F.digest("m1.0.0"), bundleSha256: F.digest("other")),
        ] {
            let error = #expect(throws: FleetError.self) { try PointerHistory.check(replaced, against: moves, channel: "stable") }
            #expect(error?.code == .digestMismatch)
            #expect(error?.message.contains("serial 1") == true)
        }
    }

    @Test(arguments: [
        // (reports, unreadable, blockers as "silo why")
        ([F.report("silo-a"), F.report("silo-b")], 0, []),
        // Silos of other channels do not count.
        ([F.report("silo-a"), F.report("silo-s", channel: "stable", state: .failed)], 0, []),
        ([F.report("silo-a"), F.report("silo-b", state: .failed, applied: "1.1.0")], 0,
         ["silo-b is failed on 1.2.0: UPDATE_ROLLBACK_COMPLETE"]),
        ([F.report("silo-a", state: .deploying, applied: "1.1.0")], 0, ["silo-a is deploying 1.2.0"]),
        ([F.report("silo-a", state: .refused, applied: "1.1.0")], 0, ["silo-a is refused on 1.2.0: UPDATE_ROLLBACK_COMPLETE"]),
        ([F.report("silo-a", target: "1.1.0", applied: "1.1.0")], 0, ["silo-a has 1.1.0 applied, not 1.2.0"]),
        ([F.report("silo-a", target: "1.0.0", applied: "1.0.0", pinned: true)], 0, ["silo-a is pinned to 1.0.0"]),
        ([F.report("silo-a", age: 3600)], 0, ["silo-a is stale (no report for 1h)"]),
        ([], 0, ["no silo reports on channel canary, so nothing has run 1.2.0 there"]),
        ([F.report("silo-a")], 2, ["2 status reports cannot be read (see `ferry status`); they may be silos of canary"]),
        ([F.report("silo-c", state: .failed), F.report("silo-a", age: 500)], 0,
         ["silo-a is stale (no report for 8m)", "silo-c is failed on 1.2.0: UPDATE_ROLLBACK_COMPLETE"]),
    ] as [([StatusReport], Int, [String])])
    func promoteIsBlockedByEverySiloNotInSync(reports: [StatusReport], unreadable: Int, expected: [String]) {
        let blockers = PromoteGate.blockers(version: F.v("1.2.0"), channel: "canary", reports: reports,
                                            unreadable: unreadable, now: F.now)
        #expect(blockers.map(\.description) == expected)
    }

    @Test func aForcedPromotionSaysWhatItWentPast() {
        let blockers = [PromoteGate.Blocker(silo: "silo-b", why: "is failed on 1.2.0"),
                        PromoteGate.Blocker(silo: nil, why: "2 status reports cannot be read")]
        #expect(PromoteGate.reason(given: nil, version: F.v("1.2.0"), from: "canary", to: "stable", forcedPast: [])
            == "promote 1.2.0 from canary to stable")
        #expect(PromoteGate.reason(given: "ship it", version: F.v("1.2.0"), from: "canary", to: "stable",
                                   forcedPast: blockers)
            == "ship it [forced past: silo-b is failed on 1.2.0; 2 status reports cannot be read]")
    }

    @Test func aPlannedMoveWritesItsSerialSignedByTheKeyAndExpiring() {
        let current = F.pointer(serial: 4, version: "1.2.0")
        let target = PointedRelease(version: F.v("1.1.0"), manifestSha256: F.digest("m1.1.0"),
                                    bundleSha256: F.digest("b1.1.0"))
        let plan = MovePlan(pipeline: "webapp", scope: .channel("stable"), objectKey: "k", current: current,
                            etag: "\"e\"", serial: 5, release: target, reason: "rollback: ingest broke", signer: F.key.id)
        #expect(!plan.changesNothing)
        let pointer = plan.document(now: F.now)
        #expect(pointer.serial == 5 && pointer.release == target && pointer.reason == "rollback: ingest broke")
        #expect(pointer.issuedBy == F.key.id && pointer.issuedAt == "2027-01-15T08:00:00Z")
        // Expiry is on by default: 30 days.
        #expect(pointer.expiresAt == "2027-02-14T08:00:00Z")
        // The same release signed by the same key changes nothing...
        let same = MovePlan(pipeline: "webapp", scope: .channel("stable"), objectKey: "k",
                            current: F.pointer(serial: 6, version: "1.1.0"), etag: "\"e\"", serial: 7,
                            release: F.pointer(serial: 6, version: "1.1.0").release, reason: "r", signer: F.key.id)
        #expect(same.changesNothing)
        // ...under another key it is written again: a re-signed pointer (key rotation)...
        let other = try! SigningKey(seed: Data(repeating: 8, count: 32))
        let rotated = MovePlan(pipeline: "webapp", scope: .channel("stable"), objectKey: "k", current: same.current,
                               etag: "\"e\"", serial: 7, release: same.release, reason: "r", signer: other.id)
        #expect(!rotated.changesNothing)
        // ...and a refresh is written even when nothing else changed.
        let refresh = MovePlan(pipeline: "webapp", scope: .channel("stable"), objectKey: "k", current: same.current,
                               etag: "\"e\"", serial: 7, release: same.release, reason: "r", signer: F.key.id,
                               lifetime: 7 * 86_400, rewrite: true)
        #expect(!refresh.changesNothing)
        #expect(refresh.document(now: F.now).expiresAt == "2027-01-22T08:00:00Z")
    }
}
