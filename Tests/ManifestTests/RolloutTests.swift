import Foundation
import Testing
@testable import Manifest

/// The pointer's `rollout` block: which wave a silo is in (pure, reproducible), whether
/// its wave is open, quarantine, and the block's round trip through a signed pointer.
@Suite struct RolloutTests {
    static let waves = [
        WaveSelector(name: "canaries", silos: ["*-canary"]),
        WaveSelector(name: "eu-gold", regions: ["eu-west-1"], tags: ["tier": "gold"]),
        WaveSelector(name: "account", accounts: ["111111111111"]),
        WaveSelector(name: "half", percent: 50),
        WaveSelector(name: "rest"),
    ]

    @Test(arguments: [
        (SiloFacts(name: "shop-canary", account: "111111111111", region: "eu-west-1"), 0),
        (SiloFacts(name: "shop", account: "222222222222", region: "eu-west-1", tags: ["tier": "gold"]), 1),
        (SiloFacts(name: "shop", account: "222222222222", region: "eu-west-1", tags: ["tier": "silver"]), 4),
        (SiloFacts(name: "shop", account: "111111111111", region: "us-east-1"), 2),
    ])
    func siloLandsInTheFirstWaveThatSelectsIt(_ facts: SiloFacts, _ expected: Int) {
        // "shop" hashes outside the 50% wave (checked below), so it falls through to "rest".
        #expect(WaveSelector.bucket(of: "shop", wave: 3) >= 5000)
        #expect(Rollout.waveIndex(of: facts, in: Self.waves) == expected)
    }

    @Test func aSiloNoWaveSelectsIsInTheLastWave() {
        let waves = [WaveSelector(name: "a", silos: ["a-*"]), WaveSelector(name: "b", regions: ["eu-west-1"])]
        #expect(Rollout.waveIndex(of: SiloFacts(name: "z", region: "us-east-1"), in: waves) == 1)
        #expect(Rollout.waveIndex(of: SiloFacts(name: "a-1"), in: waves) == 0)
    }

    @Test func percentWavesAreStableAndNearTheirShare() {
        let waves = [WaveSelector(name: "ten", percent: 10), WaveSelector(name: "half", percent: 50), WaveSelector(name: "rest")]
        var counts = [0, 0, 0]
        for index in 0..<10_000 {
            let facts = SiloFacts(name: "silo-\(index)")
            let wave = Rollout.waveIndex(of: facts, in: waves)
            #expect(wave == Rollout.waveIndex(of: facts, in: waves))
            counts[wave] += 1
        }
        // 10% of all, then 50% of the remaining 90%, then the rest: 1000, 4500, 4500.
        #expect((800...1200).contains(counts[0]))
        #expect((4200...4800).contains(counts[1]))
        #expect((4200...4800).contains(counts[2]))
        // Fixed values (SHA-256 of "0:silo-0" and "1:silo-0", first 8 bytes big-endian, mod 10000,
        // computed with Python's hashlib): a change of the hash would reshuffle every fleet.
        #expect(WaveSelector.bucket(of: "silo-0", wave: 0) == 5138)
        #expect(WaveSelector.bucket(of: "silo-0", wave: 1) == 6682)
    }

    @Test(arguments: [
        ("*", "anything", true), ("*", "", true), ("prod-*", "prod-eu-1", true), ("prod-*", "dev-eu-1", false),
        ("*-canary", "shop-canary", true), ("*-canary", "shop-canary-2", false), ("silo-?", "silo-1", true),
        ("silo-?", "silo-12", false), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("exact", "exact", true),
    ])
    func globs(_ pattern: String, _ name: String, _ matches: Bool) {
        #expect(WaveSelector.glob(pattern, matches: name) == matches)
    }

    @Test func openWavesAndQuarantine() throws {
        let rollout = Rollout(waves: Self.waves, open: 2, quarantined: [try SemVer("1.4.2")])
        #expect(rollout.isOpen(for: SiloFacts(name: "x-canary")))
        #expect(!rollout.isOpen(for: SiloFacts(name: "shop", account: "111111111111")))
        #expect(rollout.isQuarantined(try SemVer("1.4.2")))
        #expect(!rollout.isQuarantined(try SemVer("1.4.3")))
    }

    @Test func theBlockRoundTripsThroughASignedPointer() throws {
        var pointer = Fixture.pointer()
        pointer.rollout = Rollout(waves: Self.waves, open: 1, halted: true, quarantined: [try SemVer("1.4.2")])
        let bytes = try sealPointer(pointer, with: Fixture.key)
        let opened = try openPointer(bytes: bytes, trust: Fixture.trust([.release]), now: Date(timeIntervalSince1970: 0))
        #expect(opened == pointer)
        // Empty criteria are left out of the wire form; a pointer without a rollout has no key.
        let text = String(decoding: try pointer.canonicalBytes(), as: UTF8.self)
        #expect(text.contains("{\"name\":\"rest\"}"))
        #expect(!String(decoding: try Fixture.pointer().canonicalBytes(), as: UTF8.self).contains("rollout"))
    }

    @Test func badBlocksAreRefused() throws {
        var pointer = Fixture.pointer()
        pointer.rollout = Rollout(waves: Self.waves, open: 6)
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.open")
        pointer.rollout = Rollout(waves: [])
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.waves")
        pointer.rollout = Rollout(waves: [WaveSelector(name: "a"), WaveSelector(name: "a")])
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.waves")
        pointer.rollout = Rollout(waves: [WaveSelector(name: "a", percent: 0)])
        #expect(refusal { () throws(ManifestError) in try pointer.validate() }?.field == "rollout.waves")
        var pin = Fixture.pin()
        pin.rollout = Rollout(waves: [WaveSelector(name: "a")])
        #expect(refusal { () throws(ManifestError) in try pin.validate() }?.field == "rollout")
    }
}

/// What every writer but the controller does to the block: a move up starts again at
/// wave 0, a rollback opens every wave, the same release keeps it.
@Suite struct RolloutCarryTests {
    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: String(repeating: "a", count: 64),
                       bundleSha256: String(repeating: "b", count: 64))
    }

    @Test func carried() {
        let block = Rollout(waves: RolloutTests.waves, open: 5, halted: true, quarantined: [try! SemVer("1.3.0")])
        let up = block.carried(from: Self.release("1.2.0"), to: Self.release("1.4.0"))
        #expect(up.open == 0 && !up.halted && up.previous == Self.release("1.2.0") && up.quarantined == block.quarantined)
        let down = Rollout(waves: RolloutTests.waves, open: 1, previous: Self.release("1.2.0"))
            .carried(from: Self.release("1.4.0"), to: Self.release("1.2.0"))
        #expect(down.open == 5 && down.previous == nil)
        #expect(block.carried(from: Self.release("1.2.0"), to: Self.release("1.2.0")) == block)
    }
}
