import Bucket
import Fleet
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry status` and `ferry history` against moto: releases from ReleaseFixture, reports
/// written as agents write them, the binary run as a process (stdout is a file, so plain).
struct FleetStatusIntegrationTests {
    @Test func statusShowsEverySiloFlagsTheStaleOneAndExitsNonZero() throws {
        let world = try FleetWorld()
        try world.publish("1.1.0", channel: "canary")
        try world.point("stable", to: "1.1.0")
        try world.publish("1.2.0", channel: "canary")
        try world.report("silo-a", channel: "canary", target: "1.2.0", applied: "1.2.0", age: 120, interval: 60)
        try world.report("silo-b", channel: "canary", state: .failed, target: "1.2.0", applied: "1.1.0", age: 120,
                         interval: 60)
        // Silent for five hours with a 30 s interval: stale.
        try world.report("silo-c", channel: "stable", target: "1.0.0", applied: "1.0.0", age: 5 * 3600, pinned: true)

        let canary = try world.pointer("canary"), stable = try world.pointer("stable")
        let by = String(ReleaseFixture.releaseKey.id.hex.prefix(12))
        let run = try world.ferry("status", "webapp")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.lines == [
            "CHANNEL  VERSION  SERIAL  MOVED                 BY            REASON",
            "canary   1.2.0    2       \(canary.issuedAt)  \(by)  publish 1.2.0",
            "stable   1.1.0    1       \(stable.issuedAt)  \(by)  publish 1.1.0",
            "",
            "SILO    CHANNEL  PINNED  TARGET  APPLIED  STATE    AGE",
            "silo-a  canary   no      1.2.0   1.2.0    in-sync  2m",
            "silo-b  canary   no      1.2.0   1.1.0    failed   2m",
            "silo-c  stable   yes     1.0.0   1.0.0    stale    5h",
            "",
            "silo-b failed: UPDATE_ROLLBACK_COMPLETE: stack app failed and was rolled back (app)",
            "silo-c stale: no report for 5h (expected every 30s)",
            "",
            "3 silos: 1 in-sync, 1 failed, 1 stale",
            "",
        ])
        #expect(run.stderr == "ferry status: failing --fail-on failed,stale,refused,misconfigured,expired: silo-b (failed), "
            + "silo-c (stale)\n")
        #expect(!run.stdout.contains("\u{1B}["))  // no colour into a file

        // --fail-on chooses what fails the gate.
        #expect(try world.ferry("status", "webapp", "--fail-on", "none").status == 0)
        #expect(try world.ferry("status", "webapp", "--fail-on", "deploying,refused").status == 0)
        let stale = try world.ferry("status", "webapp", "--fail-on", "stale")
        #expect(stale.status == 2 && stale.stderr.contains("silo-c (stale)") && !stale.stderr.contains("silo-b"))
        let bad = try world.ferry("status", "webapp", "--fail-on", "broken")
        #expect(bad.status == 64 && bad.stderr.contains("'broken' is not one of failed, stale, refused, misconfigured, expired, deploying"))
        #expect(bad.stdout.isEmpty)

        // --json for scripts.
        let json = try world.ferry("status", "webapp", "--json")
        #expect(json.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["failing"] as? [String] == ["silo-b", "silo-c"] && object["passes"] as? Bool == false)
        let silos = try #require(object["silos"] as? [[String: Any]])
        #expect(silos.map { $0["silo"] as? String } == ["silo-a", "silo-b", "silo-c"])
        #expect(silos.map { $0["stale"] as? Bool } == [false, false, true])
        #expect(silos.map { $0["reportedState"] as? String } == ["in-sync", "failed", "in-sync"])
        let channels = try #require(object["channels"] as? [[String: Any]])
        #expect(channels.map { $0["version"] as? String } == ["1.2.0", "1.1.0"])
    }

    @Test func aHealthyFleetPassesAndAnUnreadableReportIsNamed() throws {
        let world = try FleetWorld()
        try world.publish("1.0.0", channel: "stable")
        try world.report("silo-a", channel: "stable", target: "1.0.0", applied: "1.0.0")
        let healthy = try world.ferry("status", "webapp")
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.lines.suffix(2) == ["1 silo: 1 in-sync", ""])
        #expect(healthy.stderr.isEmpty)

        // A report that is not a status report is listed, and fails the gate.
        try world.bucket.put(key: try world.bucket.layout.status(pipeline: "webapp", silo: "silo-z"), data: Data("{}".utf8))
        let broken = try world.ferry("status", "webapp")
        #expect(broken.status == 2)
        #expect(broken.stdout.contains("unreadable report: the status report ferry/status/webapp/silo-z.json"))
        #expect(broken.lines.suffix(2) == ["1 silo: 1 in-sync; 1 unreadable", ""])
        #expect(try world.ferry("status", "webapp", "--fail-on", "none").status == 0)
    }

    @Test func statusWithoutABucketSaysWhatToDo() throws {
        let world = try FleetWorld()
        var environment = world.environment
        environment["FERRY_BUCKET"] = nil
        let run = try FerryProcess.run(["status", "webapp"], environment: environment)
        #expect(run.status != 0)
        #expect(run.stderr.contains("no bucket: pass --bucket NAME or set FERRY_BUCKET"))

        let missing = try world.ferry("status", "webapp", "--bucket", uniqueName("ferry-missing"))
        #expect(missing.status == 1 && missing.stdout.isEmpty)
        #expect(missing.stderr.contains("the bucket does not exist (NoSuchBucket); check --bucket or FERRY_BUCKET"))
    }

    @Test func historyListsTheReleasesAndEveryMoveWithSerialReasonAndSigner() throws {
        let world = try FleetWorld()
        try world.publish("1.0.0", channel: "stable")
        try world.publish("1.1.0", channel: "stable")
        try world.publish("1.2.0", channel: "canary")
        let onCallWriter = PointerSigner(key: ReleaseFixture.oncallKey, trust: ReleaseFixture.trust)
        let plan = try world.onCall.planRollback(pipeline: "webapp", channel: "stable", to: .previous,
                                                 reason: "rollback: 1.1.0 broke ingestion", by: onCallWriter)
        _ = try world.onCall.commit(plan, by: onCallWriter, now: Date())
        let pin = try world.onCall.planPin(pipeline: "webapp", silo: "silo-eu", to: .version(try SemVer("1.1.0")),
                                           checkingAgainst: nil, reason: "hold eu", by: onCallWriter)
        _ = try world.onCall.commit(pin, by: onCallWriter, now: Date())
        let unpin = try world.onCall.planUnpin(pipeline: "webapp", silo: "silo-eu", reason: "audit over", by: onCallWriter)
        #expect(!unpin.changesNothing)
        _ = try world.onCall.commit(unpin, by: onCallWriter, now: Date())

        let history = try world.onCall.history(pipeline: "webapp")
        #expect(history.releases.map(\.version.description) == ["1.2.0", "1.1.0", "1.0.0"])
        #expect(history.releases.map(\.tag) == ["v1.2.0", "v1.1.0", "v1.0.0"])
        #expect(history.releases.allSatisfy { $0.commit == String(repeating: "a", count: 40) && $0.problem == nil })
        #expect(history.releases.map(\.testsSummary) == ["none", "none", "none"])
        #expect(history.channels.map(\.channel) == ["canary", "stable"])
        let stable = try #require(history.channels.last)
        #expect(stable.moves.map(\.serial) == [3, 2, 1])
        #expect(stable.moves.map(\.version.description) == ["1.0.0", "1.1.0", "1.0.0"])
        #expect(stable.moves.map(\.reason) == ["rollback: 1.1.0 broke ingestion", "publish 1.1.0", "publish 1.0.0"])
        #expect(stable.moves.map(\.issuedBy) == [ReleaseFixture.oncallKey.id, ReleaseFixture.releaseKey.id,
                                                 ReleaseFixture.releaseKey.id])
        #expect(Set(stable.moves.map(\.objectVersionId)).count == 3)
        #expect(history.pins.map(\.removed) == [true, false])
        #expect(history.pins.last?.serial == 1 && history.pins.last?.reason == "hold eu")

        // The command: one channel, plain and JSON.
        let run = try world.ferry("history", "webapp", "--channel", "stable")
        #expect(run.status == 0, "\(run.stderr)")
        let oncall = String(ReleaseFixture.oncallKey.id.hex.prefix(12))
        let release = String(ReleaseFixture.releaseKey.id.hex.prefix(12))
        #expect(run.lines.first == "releases of webapp")
        #expect(run.lines.contains { $0.hasPrefix("1.2.0    aaaaaaaaaaaa  v1.2.0  2026-11-28T00:00:00Z  none   fixture release 1.2.0") })
        let channelAt = try #require(run.lines.firstIndex(of: "channel stable"))
        let moves = run.lines[(channelAt + 1)...].prefix(4)
        #expect(moves.first == "SERIAL  VERSION  SIGNED BY     TIME                  REASON")
        #expect(moves.dropFirst().map { String($0.prefix(31)) } == [
            "3       1.0.0    \(oncall)  ", "2       1.1.0    \(release)  ", "1       1.0.0    \(release)  ",
        ])
        #expect(moves.dropFirst().first?.hasSuffix("  rollback: 1.1.0 broke ingestion") == true)
        #expect(!run.stdout.contains("channel canary") && !run.stdout.contains("pins"))
        let json = try world.ferry("history", "webapp", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let channels = try #require(object["channels"] as? [[String: Any]])
        let stableMoves = try #require(channels.last?["moves"] as? [[String: Any]])
        #expect(stableMoves.map { $0["issuedBy"] as? String } == [ReleaseFixture.oncallKey.id.hex,
                                                                 ReleaseFixture.releaseKey.id.hex,
                                                                 ReleaseFixture.releaseKey.id.hex])
        #expect((object["pins"] as? [[String: Any]])?.count == 2)
    }
}
