import Basics
import Foundation
import Testing
@testable import Manifest

/// The examples in docs/manifest.md are real: each decodes, and each signature verifies
/// with the example key (the examples were made with Python `cryptography`, not Ferry).
@Suite struct DocsExampleTests {
    /// The JSON block after each `<!-- example: NAME -->` marker, by NAME.
    static func examples() throws -> [String: Data] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/manifest.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var found: [String: Data] = [:]
        for part in text.components(separatedBy: "<!-- example: ").dropFirst() {
            let name = String(part.prefix { $0 != " " })
            guard let open = part.range(of: "```json\n"), let close = part.range(of: "\n```", range: open.upperBound..<part.endIndex)
            else { continue }
            found[name] = Data(part[open.upperBound..<close.lowerBound].utf8)
        }
        return found
    }

    /// The example documents, in canonical form.
    static func canonical(_ name: String) throws -> Data {
        let example = try #require(try examples()[name], "docs/manifest.md lacks the example \(name)")
        return try JSONParser.parse(example, cap: SizeCap.manifest, what: name).canonicalBytes
    }

    static let now = Timestamp.parse("2024-05-20T00:00:00Z")!
    static let trust = Fixture.trust([.builder, .release, .oncall])

    @Test func everyDocumentHasAnExample() throws {
        #expect(Set(try Self.examples().keys) == ["manifest.json", "manifest.sig", "pointer", "rollout", "health", "pin", "unpin",
                                                   "status"])
    }

    @Test func manifestExampleVerifies() throws {
        let bytes = try Self.canonical("manifest.json")
        #expect(bytes.count == 1263)
        #expect(sha256Hex(bytes) == "ab56b44bc36b98779959a007b6d7ba89ab59b964e013294d32f900cc32702b7b")
        let manifest = try verifyManifest(bytes: bytes, signature: Self.canonical("manifest.sig"), trust: Self.trust)
        #expect(manifest.stacks.map(\.name) == ["storage", "ingest"])
        #expect(try manifest.canonicalBytes() == bytes)
    }

    @Test func pointerExampleOpensAndNamesTheManifest() throws {
        let pointer = try openPointer(bytes: Self.canonical("pointer"), trust: Self.trust, now: Self.now)
        #expect(pointer.release?.manifestSha256 == sha256Hex(try Self.canonical("manifest.json")))
        #expect(pointer.scope == .channel("stable"))
        #expect(pointer.expiresAt == "2024-06-01T08:30:00Z")
        #expect(try sealPointer(pointer, with: Fixture.key) == Self.canonical("pointer"))
    }

    @Test func rolloutExampleOpensWithItsWavesAndQuarantine() throws {
        let bytes = try Self.canonical("rollout")
        let pointer = try openPointer(bytes: bytes, trust: Self.trust, now: Self.now)
        let rollout = try #require(pointer.rollout)
        #expect(rollout.waves.map(\.name) == ["canaries", "eu", "rest"])
        #expect(rollout.waves[1] == WaveSelector(name: "eu", regions: ["eu-west-1"], percent: 50))
        #expect(rollout.open == 3 && rollout.halted)
        #expect(rollout.quarantined == [try SemVer("1.4.2")])
        #expect(try sealPointer(pointer, with: Fixture.key) == bytes)
    }

    @Test func healthExampleIsAV2Point1PointerWithItsGate() throws {
        let bytes = try Self.canonical("health")
        let pointer = try openPointer(bytes: bytes, trust: Self.trust, now: Self.now)
        #expect(pointer.schema == "ferry.pointer/v2.1" && pointer.schema == Pointer.schema(for: pointer.rollout))
        #expect(pointer.rollout?.health == HealthGate(alarmNames: ["api-5xx"], alarmPrefixes: ["webapp-"], bakeSeconds: 1800,
                                                      insufficientData: .healthy))
        let previous = try SemVer("1.4.1")
        #expect(pointer.rollout?.open == 2 && pointer.rollout?.previous?.version == previous)
        #expect(try sealPointer(pointer, with: Fixture.key) == bytes)
    }

    @Test func pinExampleOpensUntilItExpires() throws {
        let bytes = try Self.canonical("pin")
        let pin = try openPointer(bytes: bytes, trust: Self.trust, now: Self.now)
        #expect(pin.scope == .silo("silo-eu-1"))
        let later = Timestamp.parse("2024-06-01T00:00:00Z")!
        #expect(refusal { () throws(ManifestError) in try openPointer(bytes: bytes, trust: Self.trust, now: later) }?.code
            == .expired)
    }

    @Test func unpinExampleIsAnEndedPinSignedByOncall() throws {
        let bytes = try Self.canonical("unpin")
        let ended = try openPointer(bytes: bytes, trust: Fixture.trust([.oncall]), now: Self.now)
        #expect(ended.isEnded && ended.scope == .silo("silo-eu-1") && ended.serial == 4)
        // A release key may move channels but not end a pin.
        #expect(refusal { () throws(ManifestError) in
            try openPointer(bytes: bytes, trust: Fixture.trust([.release]), now: Self.now)
        }?.code == .keyNotInRole)
    }

    @Test func statusExampleDecodes() throws {
        let report = try StatusReport.decode(Self.canonical("status"))
        #expect(report.state == .failed)
        #expect(try report.canonicalBytes() == Self.canonical("status"))
    }
}
