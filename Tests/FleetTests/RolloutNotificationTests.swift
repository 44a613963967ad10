import Fleet
import Foundation
import Manifest
import Testing

/// What `ferry rollout` publishes when it halts. Pure (the SNS→SQS test is RolloutCLITests).
struct RolloutNotificationTests {
    @Test func aHaltNamesTheReleaseTheRollbackAndTheFailedSilos() throws {
        let before = Fixture.pointer("stable", serial: 7, version: "1.1.0")
        let written = Fixture.pointer("stable", serial: 8, version: "1.0.0", reason: "rollout halted: 2 failed")
        let tick = RolloutController.Tick(step: .halt(reason: "rollout halted: 2 failed", rollback: written.release,
                                                      quarantine: try SemVer("1.1.0")),
                                          written: written, pointer: written)
        var failedB = Fixture.report("silo-b", channel: "stable", state: .failed, target: "1.1.0", applied: "1.0.0")
        failedB.wave = 0
        let reports = [
            failedB,
            Fixture.report("silo-a", channel: "stable", state: .failed, target: "1.1.0", applied: "1.0.0"),
            Fixture.report("silo-c", channel: "stable", target: "1.1.0", applied: "1.1.0"),
            Fixture.report("silo-d", channel: "canary", state: .failed, target: "1.1.0", applied: "1.0.0"),
            Fixture.report("silo-e", channel: "stable", state: .failed, target: "0.9.0", applied: "0.8.0"),
        ]
        let note = try #require(RolloutNotification.of(tick, pipeline: "webapp", channel: "stable", before: before,
                                                       reports: reports, now: Fixture.now))
        #expect(note.trigger == "rollout-halted" && note.serial == 8 && note.reason == "rollout halted: 2 failed")
        #expect(note.from?.description == "1.1.0" && note.to?.description == "1.0.0")
        #expect(note.quarantined?.description == "1.1.0")
        #expect(note.failedSilos.map(\.silo) == ["silo-a", "silo-b"])
        #expect(note.failedSilos.last?.wave == 0 && note.failedSilos.last?.resource == "ingest")
        #expect(note.subject == "ferry: webapp rollout-halted on channel stable (1.1.0 -> 1.0.0)")
        #expect(note.json().hasPrefix("{\"channel\":\"stable\",\"failedSilos\":[{"))

        // Any other step publishes nothing.
        let wait = RolloutController.Tick(step: .wait("baking"), written: nil, pointer: before)
        #expect(RolloutNotification.of(wait, pipeline: "webapp", channel: "stable", before: before, reports: reports,
                                       now: Fixture.now) == nil)
    }
}
