import Bucket
import Fleet
import Foundation
import Manifest
import TestSupport
import Testing

/// Rollback, pin, unpin and promote against moto, as processes where a person would run
/// them; every pointer written is opened with the agents' trust store (signature checked).
struct FleetMoveIntegrationTests {
    static let oncall = PointerSigner(key: ReleaseFixture.oncallKey, trust: ReleaseFixture.trust)

    /// stable: 1.0.0 (serial 1) -> 1.1.0 (2) -> 1.2.0 (3).
    func threeReleasesOnStable() throws -> FleetWorld {
        let world = try FleetWorld()
        for version in ["1.0.0", "1.1.0", "1.2.0"] { try world.publish(version, channel: "stable") }
        return world
    }

    @Test func rollbackMovesTheChannelBackWithTheNextSerialAndTheReason() throws {
        let world = try threeReleasesOnStable()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let short = String(ReleaseFixture.oncallKey.id.hex.prefix(12))
        let back = try world.ferry("rollback", "webapp", "--channel", "stable", "--previous",
                                   "--reason", "1.2.0 broke ingestion", "--key", key)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout == "rolled back channel stable of webapp: 1.2.0 (serial 3) -> 1.1.0 (serial 4), "
            + "signed by \(short): 1.2.0 broke ingestion\n")
        let pointer = try world.pointer("stable")
        #expect(pointer.serial == 4 && pointer.release?.version.description == "1.1.0")
        #expect(pointer.reason == "1.2.0 broke ingestion" && pointer.issuedBy == ReleaseFixture.oncallKey.id)
        let release = try world.bucket.release(pipeline: "webapp", version: try SemVer("1.1.0"))
        #expect(pointer.release == release.pointed)
        // Expiry is on by default: 30 days after it was issued.
        let issued = try #require(Timestamp.parse(pointer.issuedAt))
        #expect(pointer.expiresAt == Timestamp.format(issued.addingTimeInterval(30 * 86_400)))

        // --to an older release; the same release again writes nothing.
        let to = try world.ferry("rollback", "webapp", "--channel", "stable", "--to", "1.0.0", "--reason", "further",
                                 "--key", key, "--json")
        #expect(to.status == 0, "\(to.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(to.stdout.utf8)) as? [String: Any])
        #expect(object["action"] as? String == "moved")
        #expect((object["to"] as? [String: Any])?["serial"] as? Int == 5)
        #expect((object["from"] as? [String: Any])?["version"] as? String == "1.1.0")
        let again = try world.ferry("rollback", "webapp", "--channel", "stable", "--to", "1.0.0", "--reason", "again",
                                    "--key", key)
        #expect(again.status == 0 && again.stdout.contains("already at 1.0.0 (serial 5): nothing written"))
        #expect(try world.writes("stable") == 5)

        // A key the agents do not trust is refused before anything is written.
        let next = try SigningKey(seed: Data(repeating: 4, count: 32))
        let nextKey = try world.keyFile(next, name: "next")
        let untrusted = try world.ferry("rollback", "webapp", "--channel", "stable", "--to", "1.0.0",
                                        "--reason", "re-sign with the 2027 key", "--key", nextKey)
        #expect(untrusted.status == 1 && untrusted.stderr.contains("is not in the trusted keys (--trust)"),
                "\(untrusted.stderr)")
        #expect(try world.writes("stable") == 5)
        // The same release under another trusted key is re-signed (key rotation): serial 6, same release.
        let nextPub = try world.dir.write("next.pub", next.publicKey.fileContents) + "=release"
        let resign = try world.ferry(["rollback", "webapp", "--channel", "stable", "--to", "1.0.0",
                                      "--reason", "re-sign with the 2027 key", "--key", nextKey]
                                     + (world.trust + [nextPub]).flatMap { ["--trust", $0] })
        #expect(resign.status == 0, "\(resign.stderr)")
        #expect(resign.stdout.hasPrefix("re-signed channel stable of webapp at 1.0.0 (serial 5 -> 6), signed by "
            + String(next.id.hex.prefix(12))))
        var trust = ReleaseFixture.trust
        trust.trust(next.publicKey, for: [.release])
        let data = try world.bucket.require(key: try world.bucket.layout.channel(pipeline: "webapp", channel: "stable"),
                                            cap: SizeCap.pointer, what: "pointer")
        let resigned = try openPointer(bytes: data, trust: trust, now: Date())
        #expect(resigned.serial == 6 && resigned.release?.version.description == "1.0.0" && resigned.issuedBy == next.id)
        let original = try world.bucket.release(pipeline: "webapp", version: try SemVer("1.0.0"))
        #expect(resigned.release == original.pointed)
    }

    @Test func badRollbacksSayWhyAndWriteNothing() throws {
        let world = try threeReleasesOnStable()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let cases: [([String], Int32, String)] = [
            (["--to", "9.9.9", "--reason", "x"], 1, "release 9.9.9 of webapp is not published"),
            (["--to", "not-a-version", "--reason", "x"], 64, "--to not-a-version: \"not-a-version\" is not a semantic version"),
            (["--previous", "--to", "1.0.0", "--reason", "x"], 64, "give exactly one of --to VERSION and --previous"),
            (["--previous"], 64, "--reason is required"),
            (["--previous", "--reason", "  "], 64, "--reason must say why"),
        ]
        for (extra, status, message) in cases {
            let run = try world.ferry(["rollback", "webapp", "--channel", "stable", "--key", key] + extra)
            #expect(run.status == status, "\(extra): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(extra): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let never = try world.ferry("rollback", "webapp", "--channel", "nightly", "--previous", "--reason", "x", "--key", key)
        #expect(never.status == 1 && never.stderr.contains("channel nightly is not a channel of webapp: the bucket has "
            + "stable. Nothing was written"), "\(never.stderr)")
        let badKey = try world.ferry("rollback", "webapp", "--channel", "stable", "--previous", "--reason", "x",
                                     "--key", try world.dir.write("bad.key", "not a key\n"))
        #expect(badKey.status != 0 && badKey.stderr.contains("bad.key: this is not a Ferry private key file"))
        #expect(try world.writes("stable") == 3)
        #expect(try world.pointer("stable").release?.version.description == "1.2.0")
    }

    @Test func aReleaseWhoseObjectsWereReplacedIsRefused() throws {
        let world = try threeReleasesOnStable()
        // Someone replaces the manifest of 1.1.0 behind Ferry's back (a new S3 version of the key).
        let key = try world.bucket.layout.manifest(pipeline: "webapp", version: try SemVer("1.1.0"))
        try world.bucket.put(key: key, data: Data("{\"tampered\":true}".utf8))
        let error = #expect(throws: FleetError.self) {
            try world.onCall.planRollback(pipeline: "webapp", channel: "stable", to: .previous, reason: "x",
                                          by: Self.oncall)
        }
        #expect(error?.code == .digestMismatch)
        #expect(try world.writes("stable") == 3)
    }

    @Test func twoRollbacksFromTheSameReadCannotBothWin() throws {
        let world = try threeReleasesOnStable()
        // Two on-call engineers read the same state...
        let first = try world.onCall.planRollback(pipeline: "webapp", channel: "stable", to: .version(try SemVer("1.1.0")),
                                                  reason: "alice: 1.2.0 broke ingestion", by: Self.oncall)
        let second = try world.onCall.planRollback(pipeline: "webapp", channel: "stable", to: .previous,
                                                   reason: "bob: 1.2.0 is slow", by: Self.oncall)
        #expect(first.etag == second.etag)
        // ...one wins...
        let won = try world.onCall.commit(first, by: Self.oncall, now: Date())
        #expect(won.pointer.serial == 4)
        // ...and the other is told what happened and writes nothing.
        let error = #expect(throws: FleetError.self) {
            try world.onCall.commit(second, by: Self.oncall, now: Date())
        }
        #expect(error?.code == .channelMoved)
        #expect(error?.message.contains("it was 1.2.0 (serial 3) when read and is now at 1.1.0 (serial 4") == true,
                "\(error?.message ?? "")")
        #expect(error?.message.contains("\"alice: 1.2.0 broke ingestion\"") == true)
        #expect(try world.writes("stable") == 4)
        #expect(try world.pointer("stable").reason == "alice: 1.2.0 broke ingestion")
    }

    @Test func rollbackOfOneSiloIsAPinWhoseSerialContinuesAfterUnpin() throws {
        let world = try threeReleasesOnStable()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let pinKey = try world.bucket.layout.pin(pipeline: "webapp", silo: "silo-eu")
        func pin() throws -> Pointer {
            let data = try world.bucket.require(key: pinKey, cap: SizeCap.pointer, what: "pin")
            return try openPointer(bytes: data, trust: ReleaseFixture.trust, now: Date())
        }
        // silo-eu has never reported: refused (a typo in a silo id), unless --new-silo says it is new.
        let typo = try world.ferry("rollback", "webapp", "--channel", "stable", "--silo", "silo-eu", "--previous",
                                   "--reason", "eu ingestion broke", "--key", key)
        #expect(typo.status == 1 && typo.stderr.contains("silo silo-eu has never reported for webapp"), "\(typo.stderr)")
        let one = try world.ferry("rollback", "webapp", "--channel", "stable", "--silo", "silo-eu", "--previous",
                                  "--reason", "eu ingestion broke", "--key", key, "--new-silo")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("pinned silo-eu of webapp to 1.1.0 (pin serial 1), signed by "))
        #expect(try pin().serial == 1 && pin().release?.version.description == "1.1.0"
            && pin().reason == "eu ingestion broke")
        #expect(try world.writes("stable") == 3)  // the channel did not move

        // Ending a pin is signed: an ended pin with the next serial, nothing deleted.
        let noReason = try world.ferry("unpin", "webapp", "--silo", "silo-eu", "--key", key)
        #expect(noReason.status == 64 && noReason.stderr.contains("--reason"))
        let unpin = try world.ferry("unpin", "webapp", "--silo", "silo-eu", "--reason", "fixed in 1.2.1", "--key", key)
        #expect(unpin.status == 0, "\(unpin.stderr)")
        #expect(unpin.stdout.hasPrefix("unpinned silo-eu of webapp (pin serial 2), signed by "))
        let ended = try pin()
        #expect(ended.isEnded && ended.serial == 2 && ended.reason == "fixed in 1.2.1")
        #expect(try world.bucket.versions(of: pinKey).allSatisfy { !$0.isDeleteMarker })
        let twice = try world.ferry("unpin", "webapp", "--silo", "silo-eu", "--reason", "again", "--key", key)
        #expect(twice.status == 0 && twice.stdout.contains("has no pin (pin serial 2 ended it): nothing written"))
        // A release key cannot end a pin: the agents accept pins from oncall keys only.
        let releaseKey = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        let wrongRole = try world.ferry("unpin", "webapp", "--silo", "silo-eu", "--reason", "x", "--key", releaseKey)
        #expect(wrongRole.status == 1 && wrongRole.stderr.contains("trusted only as release"), "\(wrongRole.stderr)")
        #expect(try pin().serial == 2)

        let again = try world.ferry("pin", "webapp", "--silo", "silo-eu", "--to", "1.0.0", "--reason", "hold",
                                    "--key", key, "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try pin().serial == 3 && pin().release?.version.description == "1.0.0")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(object["action"] as? String == "pinned" && object["silo"] as? String == "silo-eu")
        let same = try world.ferry("pin", "webapp", "--silo", "silo-eu", "--to", "1.0.0", "--reason", "hold", "--key", key)
        #expect(same.stdout.contains("already pinned to 1.0.0 (pin serial 3): nothing written"))

        let missing = try world.ferry("pin", "webapp", "--silo", "silo-us", "--to", "7.0.0", "--reason", "x", "--key", key,
                                      "--new-silo")
        #expect(missing.status == 1 && missing.stderr.contains("release 7.0.0 of webapp is not published"))
        #expect(try world.bucket.currentPointer(pipeline: "webapp", scope: .silo("silo-us")) == nil)
    }

    @Test func refreshReSignsTheSameReleaseWithTheNextSerialAndANewExpiry() throws {
        let world = try threeReleasesOnStable()
        let key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        let before = try world.pointer("stable")
        let run = try world.ferry("refresh", "webapp", "--channel", "stable", "--key", key, "--expires-in", "7",
                                  "--reason", "weekly refresh", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["action"] as? String == "moved")
        let after = try world.pointer("stable")
        #expect(after.serial == 4 && after.release == before.release && after.reason == "weekly refresh")
        let issued = try #require(Timestamp.parse(after.issuedAt))
        #expect(after.expiresAt == Timestamp.format(issued.addingTimeInterval(7 * 86_400)))
        // Again: always written (that is refresh's job), with the next serial.
        let again = try world.ferry("refresh", "webapp", "--channel", "stable", "--key", key)
        #expect(again.status == 0 && again.stdout.hasPrefix("re-signed channel stable of webapp at 1.2.0 (serial 4 -> 5)"),
                "\(again.stdout)\(again.stderr)")
        // Nothing to refresh, a bad lifetime, a key without roles: refused, nothing written.
        let never = try world.ferry("refresh", "webapp", "--channel", "nightly", "--key", key)
        #expect(never.status == 1 && never.stderr.contains("channel nightly is not a channel of webapp"), "\(never.stderr)")
        let bad = try world.ferry("refresh", "webapp", "--channel", "stable", "--key", key, "--expires-in", "0")
        #expect(bad.status == 64 && bad.stderr.contains("--expires-in 0: give 1 to 3650 days"))
        let noRoles = try world.ferry("refresh", "webapp", "--channel", "stable", "--key", key, "--trust",
                                      world.dir.url("release.pub"))
        #expect(noRoles.status == 64 && noRoles.stderr.contains("names no role"), "\(noRoles.stderr)")
        #expect(try world.writes("stable") == 5)
    }

    /// canary at 1.2.0 (serial 2), stable at 1.1.0 (serial 1).
    func canaryAheadOfStable() throws -> FleetWorld {
        let world = try FleetWorld()
        try world.publish("1.1.0", channel: "canary")
        try world.point("stable", to: "1.1.0")
        try world.publish("1.2.0", channel: "canary")
        return world
    }

    @Test func promoteIsRefusedOnAnUnhealthyCanaryAndForceIsRecorded() throws {
        let world = try canaryAheadOfStable()
        let key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        try world.report("silo-a", channel: "canary", target: "1.2.0", applied: "1.2.0")
        try world.report("silo-b", channel: "canary", state: .failed, target: "1.2.0", applied: "1.1.0")
        try world.report("silo-c", channel: "canary", state: .deploying, target: "1.2.0", applied: "1.1.0")
        try world.report("silo-s", channel: "stable", state: .failed, target: "1.1.0", applied: "1.0.0")

        let refused = try world.ferry("promote", "webapp", "--from", "canary", "--to", "stable", "--key", key)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not promoting 1.2.0 from canary to stable: silo-b is failed on 1.2.0: "
            + "UPDATE_ROLLBACK_COMPLETE; silo-c is deploying 1.2.0. Wait for the silos"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("silo-a") && !refused.stderr.contains("silo-s"))
        #expect(refused.stdout.isEmpty)
        #expect(try world.writes("stable") == 1 && world.pointer("stable").release?.version.description == "1.1.0")

        let forced = try world.ferry("promote", "webapp", "--from", "canary", "--to", "stable", "--key", key,
                                     "--force", "--reason", "hotfix needed")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("warning: forced past silo-b is failed on 1.2.0"))
        let pointer = try world.pointer("stable")
        #expect(pointer.serial == 2 && pointer.release?.version.description == "1.2.0")
        #expect(pointer.reason == "hotfix needed [forced past: silo-b is failed on 1.2.0: UPDATE_ROLLBACK_COMPLETE; "
            + "silo-c is deploying 1.2.0]")
        #expect(pointer.issuedBy == ReleaseFixture.releaseKey.id)
        // The audit trail keeps it.
        let history = try world.onCall.channelHistory(pipeline: "webapp", channel: "stable")
        #expect(history.moves.first?.reason == pointer.reason)
    }

    @Test func promoteRefusesASourcePointerThatDoesNotVerify() throws {
        let world = try canaryAheadOfStable()
        try world.report("silo-a", channel: "canary", target: "1.2.0", applied: "1.2.0")
        // Someone with bucket access but no trusted key rewrites canary to name 1.1.0.
        let stranger = try SigningKey(seed: Data(repeating: 6, count: 32))
        let release = try world.bucket.release(pipeline: "webapp", version: try SemVer("1.1.0"))
        let forged = Pointer(pipeline: "webapp", scope: .channel("canary"), serial: 9, release: release.pointed,
                             issuedAt: Timestamp.format(Date()), expiresAt: nil, reason: "forged", issuedBy: stranger.id)
        try world.bucket.put(key: try world.bucket.layout.channel(pipeline: "webapp", channel: "canary"),
                             data: try sealPointer(forged, with: stranger))
        let writer = PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust)
        let error = #expect(throws: FleetError.self) {
            try world.onCall.planPromote(pipeline: "webapp", from: "canary", to: "stable", reason: nil, force: true,
                                         by: writer, now: Date())
        }
        #expect(error?.message.contains("does not verify against the trusted keys") == true, "\(error?.message ?? "")")
        #expect(try world.writes("stable") == 1)
    }

    @Test func promoteGoesWhenEveryCanaryIsInSync() throws {
        let world = try canaryAheadOfStable()
        let key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        try world.report("silo-a", channel: "canary", target: "1.2.0", applied: "1.2.0")
        try world.report("silo-b", channel: "canary", target: "1.2.0", applied: "1.2.0")
        let run = try world.ferry("promote", "webapp", "--from", "canary", "--to", "stable", "--key", key)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("promoted channel stable of webapp: 1.1.0 (serial 1) -> 1.2.0 (serial 2), signed by "))
        #expect(try world.pointer("stable").reason == "promote 1.2.0 from canary to stable")
        // Nothing reports on canary in a fresh pipeline: refused, since nothing ran it.
        let empty = try FleetWorld()
        try empty.publish("1.0.0", channel: "canary")
        let none = try empty.ferry("promote", "webapp", "--from", "canary", "--to", "stable", "--new-channel",
                                   "--key", try empty.keyFile(ReleaseFixture.releaseKey, name: "release"))
        #expect(none.status == 1 && none.stderr.contains("no silo reports on channel canary"))
        #expect(try empty.bucket.currentPointer(pipeline: "webapp", scope: .channel("stable")) == nil)
    }

    @Test func waitFollowsTheReportsUntilTheChannelConverges() throws {
        let world = try threeReleasesOnStable()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        try world.report("silo-a", channel: "stable", target: "1.2.0", applied: "1.2.0", serial: 3)
        try world.report("silo-p", channel: "stable", target: "1.0.0", applied: "1.0.0", pinned: true)
        let started = try world.start(["rollback", "webapp", "--channel", "stable", "--to", "1.1.0", "--reason", "x",
                                       "--key", key, "--wait", "--timeout", "60s", "--poll-interval", "1s"])
        // Play the agent: it sees serial 4, deploys, and is in sync.
        try waitUntil { try world.pointer("stable").serial == 4 }
        try world.report("silo-a", channel: "stable", state: .deploying, target: "1.1.0", applied: "1.2.0", serial: 4)
        Thread.sleep(forTimeInterval: 2.5)  // two polls see "deploying"
        try world.report("silo-a", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: 4)
        let run = try started.wait()
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("silo-a: deploying 1.1.0 (applied 1.2.0)"))
        #expect(lines.contains("silo-p: pinned to 1.0.0, not following the channel"))
        #expect(lines.suffix(2) == ["silo-a: in-sync on 1.1.0", "converged: 1 silo in-sync on 1.1.0"])
        #expect(Set(lines).count == lines.count)  // one line per change, no repeats

        let late = try world.ferry("rollback", "webapp", "--channel", "stable", "--to", "1.0.0", "--reason", "y",
                                   "--key", key, "--wait", "--timeout", "2s", "--poll-interval", "1s")
        #expect(late.status == 1)
        #expect(late.stderr.contains("gave up waiting after 2s: silo-a: waiting for its agent to take 1.0.0"))
        #expect(try world.pointer("stable").serial == 5)  // the move stands
    }

    func waitUntil(_ condition: () throws -> Bool) throws {
        for _ in 0..<100 {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("the condition never held")
    }
}

