import Foundation
import Testing
@testable import Manifest

/// The pointer's `rollout.health` (schema `ferry.pointer/v2.1`) and the report's `health`.
@Suite struct HealthGateTests {
    static let gate = HealthGate(alarmNames: ["webapp-errors"], alarmPrefixes: ["webapp-p99-"], bakeSeconds: 601,
                                 insufficientData: .wait)

    @Test func aPolicyWithAlarmsGivesTheGate() {
        var policy = RolloutPolicy(waves: [WaveSelector(name: "all")], bake: 601,
                                   alarms: [.name("webapp-errors"), .prefix("webapp-p99-")], insufficientData: .wait)
        #expect(HealthGate(policy: policy) == Self.gate)
        // A bake alone is the controller's to time: no gate, so agents of any version take part.
        policy.alarms = []
        #expect(HealthGate(policy: policy) == nil)
    }

    @Test func monitoringTimeIsTheBakeRoundedUpToMinutesAtMost180() {
        #expect(HealthGate(alarmNames: ["a"], bakeSeconds: 0).monitoringMinutes == 0)
        #expect(HealthGate(alarmNames: ["a"], bakeSeconds: 60).monitoringMinutes == 1)
        #expect(Self.gate.monitoringMinutes == 11)
        #expect(HealthGate(alarmNames: ["a"], bakeSeconds: 86_400).monitoringMinutes == 180)
    }

    @Test func countsByNameOrPrefix() {
        #expect(Self.gate.counts("webapp-errors") && Self.gate.counts("webapp-p99-latency"))
        #expect(!Self.gate.counts("webapp-errors-2") && !Self.gate.counts("webapp-p99"))
    }

    @Test func aPointerWithAGateIsV2Point1AndRoundTrips() throws {
        var pointer = Fixture.pointer()
        pointer.rollout = Rollout(waves: [WaveSelector(name: "all")], open: 1, health: Self.gate)
        pointer.schema = Pointer.schema(for: pointer.rollout)
        #expect(pointer.schema == "ferry.pointer/v2.1")
        let bytes = try sealPointer(pointer, with: Fixture.key)
        let opened = try openPointer(bytes: bytes, trust: Fixture.trust([.release]), now: Date(timeIntervalSince1970: 0))
        #expect(opened.rollout?.health == Self.gate)
        let text = String(decoding: try pointer.canonicalBytes(), as: UTF8.self)
        #expect(text.contains(#""health":{"alarmNames":["webapp-errors"],"alarmPrefixes":["webapp-p99-"],"#
            + #""bakeSeconds":601,"insufficientData":"wait"}"#), "\(text)")
        // Without a gate the pointer stays v2 and has no `health` key.
        #expect(Pointer.schema(for: Rollout(waves: [WaveSelector(name: "all")])) == "ferry.pointer/v2")
    }

    @Test func aNewerWritersGateStillReads() throws {
        // A later v2.x may add members to the gate: they are ignored, an unknown
        // `insufficientData` rule is read as `wait`, absent lists are empty.
        var pointer = Fixture.pointer()
        pointer.rollout = Rollout(waves: [WaveSelector(name: "all")], open: 1)
        var tree = try CanonicalJSON.tree(of: pointer)
        guard case .object(var members) = tree, case .object(var rollout)? = members["rollout"] else {
            Issue.record("no rollout object"); return
        }
        rollout["health"] = .object(["alarmNames": .array([.string("x")]), "bakeSeconds": .integer(60),
                                     "insufficientData": .string("ask-someone"), "future": .string("y")])
        members["rollout"] = .object(rollout)
        members["schema"] = .string("ferry.pointer/v2.7")
        tree = .object(members)
        let decoded = try Pointer.decode(tree: tree)
        #expect(decoded.rollout?.health == HealthGate(alarmNames: ["x"], bakeSeconds: 60, insufficientData: .wait))
    }

    @Test func badGatesAreRefused() throws {
        var pointer = Fixture.pointer()
        pointer.rollout = Rollout(waves: [WaveSelector(name: "all")], health: HealthGate(alarmNames: [""]))
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.health")
        pointer.rollout = Rollout(waves: [WaveSelector(name: "all")], health: HealthGate(alarmNames: ["a"], bakeSeconds: -1))
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.health.bakeSeconds")
    }

    @Test func aReportCarriesItsHealth() throws {
        let health = SiloHealth(state: .unhealthy, version: try SemVer("1.4.2"), bakeStartedAt: "2026-12-05T03:00:00Z",
                                bakeSeconds: 600, alarms: ["webapp-errors"], watched: 2,
                                reason: "webapp-errors is ALARM: Threshold Crossed")
        let report = StatusReport(pipeline: "webapp", silo: "silo-a", channel: "stable", applied: try SemVer("1.4.2"),
                                  state: .inSync, reportedAt: "2026-12-05T03:05:00Z", intervalSeconds: 30, health: health)
        let decoded = try StatusReport.decode(try report.canonicalBytes())
        #expect(decoded.health == health)
        var bad = report
        bad.health?.bakeStartedAt = "yesterday"
        #expect(refusal { () throws(ManifestError) in try bad.validate() }?.field == "health.bakeStartedAt")
    }
}
