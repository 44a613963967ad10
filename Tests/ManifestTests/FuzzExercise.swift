import Basics
import Foundation
@testable import Manifest

/// One input through every reader of untrusted bytes in the Manifest module: the strict
/// JSON parser, the three document decoders, the signed-envelope readers and the bundle
/// size limit. Shared by `MutationTests` (a bounded, seeded run in every `scripts/test`)
/// and `scripts/fuzz` (libFuzzer, which compiles this file into its own binary).
///
/// A trap anywhere is a finding (the process dies); a broken property is returned.
enum FuzzExercise {
    /// RFC 8032's first test key, trusted in every role: signed examples open fully.
    static let key = try! SigningKey(seed: Data([
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
        0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
    ]))
    static let trust = TrustStore([(key.publicKey, Set(Role.allCases))])
    static let now = Date(timeIntervalSince1970: 1_716_163_200)  // 2024-05-20T00:00:00Z

    /// Nil when every property held; else what broke.
    static func run(_ data: Data) -> String? {
        if let tree = try? JSONParser.parse(data, cap: SizeCap.manifest, what: "input") {
            // What the parser accepts, written canonically, reads back as the same value.
            guard let again = try? JSONParser.parse(tree.canonicalBytes, cap: .max, what: "canonical"), again == tree else {
                return "the canonical bytes of a parsed value do not parse back to it"
            }
        }
        if let problem = roundTrip(Manifest.self, data) { return problem }
        if let problem = roundTrip(Pointer.self, data) { return problem }
        if let problem = roundTrip(StatusReport.self, data) { return problem }
        if let manifest = try? Manifest.decode(data) {
            _ = manifest.bundleSizeLimit(manifestBytes: data.count)
        }
        if let pointer = try? verifyPointer(bytes: data, trust: trust) {
            // A verified pointer is one its signer could have written: it seals again.
            guard (try? sealPointer(pointer, with: key)) != nil else { return "a verified pointer cannot be sealed again" }
        }
        _ = try? openPointer(bytes: data, trust: trust, now: now)
        _ = try? unverifiedContents(Pointer.self, ofEnvelope: data)
        _ = try? verifyManifest(bytes: data, signature: data, trust: trust)
        return nil
    }

    /// A decoded document writes canonical bytes that decode to the same document.
    static func roundTrip<D: FerryDocument & Equatable>(_ type: D.Type, _ data: Data) -> String? {
        guard let document = try? D.decode(data) else { return nil }
        guard let bytes = try? document.canonicalBytes() else { return "\(D.what) decoded but cannot be written again" }
        guard let back = try? D.decode(bytes), back == document else {
            return "\(D.what) does not read back as itself from its canonical bytes"
        }
        return nil
    }
}

/// Seeded byte mutations (no Foundation randomness: the same seed gives the same inputs).
struct Mutator {
    private var random: SplitMix64

    init(state: UInt64) { random = SplitMix64(seed: state) }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }

    /// Tokens that reach the parser's and decoders' edges.
    static let tokens: [String] = [
        "{", "}", "[", "]", "\"", "\\", "\\u", "\\ud800", "\\u0000", ":", ",", "null", "true", "-", "0", "-0",
        "9007199254740991", "9007199254740992", "-9007199254740993", "1e5", "1.5", "9223372036854775807",
        "\"schema\":\"ferry.pointer/v2\"", "\"schema\":\"ferry.manifest/v1.9\"", "\"release\":null",
        "\"scope\":\"silo\"", "\"size\":9223372036854775807", "\u{00e9}", "\u{0065}\u{0301}", "\u{0001}", "\u{FFFF}",
        String(repeating: "[", count: 70), "\"signed\":{}", "\"signatures\":[]",
    ]

    /// One mutation of `input`, sometimes spliced with `other`.
    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + below(4)) {
            let at = below(bytes.count + 1)
            switch below(7) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << below(8))
            case 1: bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, at + 1 + below(16))
                bytes.removeSubrange(min(at, end)..<end)
            case 3 where !bytes.isEmpty:
                let start = below(bytes.count), end = min(bytes.count, start + 1 + below(32))
                bytes.insert(contentsOf: bytes[start..<end], at: at)
            case 4: bytes.insert(contentsOf: Array(Self.tokens[below(Self.tokens.count)].utf8), at: at)
            case 5 where !other.isEmpty:
                let start = below(other.count), end = min(other.count, start + 1 + below(64))
                bytes.insert(contentsOf: other[start..<end], at: at)
            default:
                if let digit = bytes.indices.filter({ (0x30...0x39).contains(bytes[$0]) }).randomElement(using: &self) {
                    bytes[digit] = UInt8(0x30 + below(10))
                }
            }
        }
        return bytes
    }
}

extension Mutator: RandomNumberGenerator {}
