import Agent
import Foundation
import Manifest
import Testing

/// Target selection under a channel's rollout: a silo applies the channel's release only
/// when its wave is open, otherwise keeps what it runs and waits; a quarantined version is
/// never applied, by pointer or pin.
@Suite struct RolloutGateTests {
    typealias T = TargetSelectionTests
    static let waves = [WaveSelector(name: "canaries", silos: ["*-canary"]), WaveSelector(name: "eu", regions: ["eu-west-1"]),
                        WaveSelector(name: "rest")]

    static func pointer(_ serial: Int, _ version: String, open: Int, halted: Bool = false,
                        quarantined: [String] = []) -> Pointer {
        var pointer = T.pointer(serial, version)
        pointer.rollout = Rollout(waves: waves, open: open, halted: halted, quarantined: quarantined.map { try! SemVer($0) })
        return pointer
    }

    static func select(_ pointer: Observation<Pointer>, last: AcceptedDocument? = nil, pin: Observation<Pointer> = .absent,
                       applied: Target? = nil, facts: SiloFacts) -> Selection {
        selectTarget(SelectionInput(pipeline: "webapp", channel: "stable", silo: facts.name, lastPointer: last, lastPin: nil,
                                    pointer: pointer, pin: pin, now: T.now, failed: [], applied: applied, facts: facts))
    }

    static let canary = SiloFacts(name: "shop-canary", region: "us-east-1")
    static let euSilo = SiloFacts(name: "shop", region: "eu-west-1")
    static let other = SiloFacts(name: "shop", region: "us-east-1")

    @Test func onlyOpenWavesApply() {
        let old = T.target(T.pointer(1, "1.0.0"))
        let opened = Self.pointer(2, "1.1.0", open: 1)
        let canary = Self.select(T.fetched(opened), applied: old, facts: Self.canary)
        #expect(canary.verdict == .deploy(T.accepted(opened).target))
        #expect(canary.waiting == nil)

        for facts in [Self.euSilo, Self.other] {
            let waiting = Self.select(T.fetched(opened), applied: old, facts: facts)
            #expect(waiting.verdict == .unchanged(old))
            #expect(waiting.waiting?.code == .waitingForWave)
            // The document is accepted all the same: its serial and its rollout are kept.
            #expect(waiting.record.first?.rollout == opened.rollout)
        }
        let message = Self.select(T.fetched(opened), applied: old, facts: Self.other).waiting?.message
        #expect(message == "webapp 1.1.0 (channel stable, serial 2) waits for wave 3 of 3 ('rest'); 1 open")
        // A silo with nothing applied yet waits with nothing.
        #expect(Self.select(T.fetched(opened), facts: Self.other).verdict == .nothing)
    }

    @Test func aNotModifiedPollStillKnowsTheWaves() {
        let old = T.target(T.pointer(1, "1.0.0"))
        var last = T.accepted(Self.pointer(2, "1.1.0", open: 1))
        last.rollout = Self.pointer(2, "1.1.0", open: 1).rollout
        #expect(Self.select(.notModified, last: last, applied: old, facts: Self.euSilo).verdict == .unchanged(old))
        // The wave opens: serial 3 says two waves are open.
        let wider = Self.pointer(3, "1.1.0", open: 2)
        #expect(Self.select(T.fetched(wider), last: last, applied: old, facts: Self.euSilo).verdict
            == .deploy(T.accepted(wider).target))
        #expect(Self.select(T.fetched(wider), last: last, applied: old, facts: Self.other).waiting != nil)
    }

    @Test func aQuarantinedVersionIsRefusedByPointerAndPin() {
        let old = T.target(T.pointer(1, "1.0.0"))
        // A pointer naming a quarantined version (quarantine without rollback).
        let bad = Self.pointer(4, "1.1.0", open: 3, halted: true, quarantined: ["1.1.0"])
        let refused = Self.select(T.fetched(bad), applied: old, facts: Self.canary)
        #expect(refused.verdict == .unchanged(old))
        #expect(refused.refusals.map(\.code) == [.quarantined])
        // A silo that already runs it is left alone (it is not applied again).
        let running = T.target(Self.pointer(3, "1.1.0", open: 1))
        let kept = Self.select(T.fetched(bad), applied: running, facts: Self.canary)
        #expect(kept.refusals.isEmpty && kept.verdict != .deploy(T.accepted(bad).target))
        // A pin to it is refused too, while the channel quarantines it.
        let rolledBack = Self.pointer(5, "1.0.0", open: 3, halted: true, quarantined: ["1.1.0"])
        let pinned = Self.select(T.fetched(rolledBack), pin: T.fetched(T.pin(1, "1.1.0", silo: "shop")), applied: old,
                                 facts: Self.other)
        #expect(pinned.refusals.map(\.code) == [.quarantined])
        #expect(pinned.verdict == .unchanged(old))
    }

    @Test func aPinIsNotHeldByWaves() {
        let old = T.target(T.pointer(1, "1.0.0"))
        let closed = Self.pointer(2, "1.1.0", open: 0)
        let pin = T.pin(1, "1.2.0", silo: "shop")
        let selection = Self.select(T.fetched(closed), pin: T.fetched(pin), applied: old, facts: Self.other)
        #expect(selection.verdict == .deploy(T.target(pin)))
        #expect(selection.waiting == nil)
    }

    @Test func noRolloutMeansEverySiloApplies() {
        let plain = T.pointer(2, "1.1.0")
        #expect(Self.select(T.fetched(plain), facts: Self.other).verdict == .deploy(T.target(plain)))
    }
}
