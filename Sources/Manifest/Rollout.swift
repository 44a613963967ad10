import Crypto
import Foundation

/// What a silo knows about itself, and all a wave selector looks at: its name, its
/// account id, its region (from the agent's own settings and identity) and its tags
/// (from the agent's settings).
public struct SiloFacts: Hashable, Sendable {
    public var name: String
    public var account: String
    public var region: String
    public var tags: [String: String]

    public init(name: String, account: String = "", region: String = "", tags: [String: String] = [:]) {
        self.name = name
        self.account = account
        self.region = region
        self.tags = tags
    }
}

/// One wave of a rollout: which silos it takes. The criteria given are all required
/// (and); within one criterion, any value matches (or). `percent` then keeps that share
/// of the silos the earlier waves left, chosen by a stable hash of the silo's name, so
/// every agent and every controller computes the same waves without knowing the fleet.
public struct WaveSelector: Codable, Hashable, Sendable {
    public var name: String
    /// Silo name patterns: `*` any run of characters, `?` one character.
    public var silos: [String]
    public var accounts: [String]
    public var regions: [String]
    /// Every tag here must be on the silo with this value.
    public var tags: [String: String]
    /// 1–100: the share of the remaining matching silos this wave takes; nil takes all.
    public var percent: Int?

    public init(name: String, silos: [String] = [], accounts: [String] = [], regions: [String] = [],
                tags: [String: String] = [:], percent: Int? = nil) {
        self.name = name
        self.silos = silos
        self.accounts = accounts
        self.regions = regions
        self.tags = tags
        self.percent = percent
    }

    /// Whether this wave, at position `index`, takes a silo that no earlier wave took.
    public func selects(_ facts: SiloFacts, index: Int) -> Bool {
        guard silos.isEmpty || silos.contains(where: { Self.glob($0, matches: facts.name) }),
              accounts.isEmpty || accounts.contains(facts.account),
              regions.isEmpty || regions.contains(facts.region),
              tags.allSatisfy({ facts.tags[$0.key] == $0.value }) else { return false }
        guard let percent else { return true }
        return Self.bucket(of: facts.name, wave: index) < percent * 100
    }

    /// 0..<10000 from SHA-256 of the silo name and the wave's position: the same silo
    /// lands in the same bucket on every machine, and each wave draws independently.
    public static func bucket(of silo: String, wave: Int) -> Int {
        let digest = SHA256.hash(data: Data("\(wave):\(silo)".utf8))
        let word = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(word % 10_000)
    }

    /// Shell-style matching of `*` and `?` over the whole name.
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count, p[pi] == "?" || p[pi] == n[ni] {
                pi += 1; ni += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ni; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ni = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    private enum CodingKeys: String, CodingKey { case name, silos, accounts, regions, tags, percent }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        silos = try container.decodeIfPresent([String].self, forKey: .silos) ?? []
        accounts = try container.decodeIfPresent([String].self, forKey: .accounts) ?? []
        regions = try container.decodeIfPresent([String].self, forKey: .regions) ?? []
        tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        percent = try container.decodeIfPresent(Int.self, forKey: .percent)
    }

    /// Empty criteria are left out, so a wave is written as it was declared.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if !silos.isEmpty { try container.encode(silos, forKey: .silos) }
        if !accounts.isEmpty { try container.encode(accounts, forKey: .accounts) }
        if !regions.isEmpty { try container.encode(regions, forKey: .regions) }
        if !tags.isEmpty { try container.encode(tags, forKey: .tags) }
        try container.encodeIfPresent(percent, forKey: .percent)
    }
}

/// The `rollout` block of a channel pointer: the waves in order, how many are open,
/// whether the rollout is halted, and the versions no silo may run. An agent applies the
/// pointer's release only when its own wave is open; otherwise it keeps what it runs and
/// reports `waiting`. It never applies a quarantined version.
public struct Rollout: Codable, Hashable, Sendable {
    public var waves: [WaveSelector]
    /// 0…waves.count: waves `0..<open` may apply the release.
    public var open: Int
    /// No further wave opens until a signed resume.
    public var halted: Bool
    /// Versions refused by every agent, whatever points at them.
    public var quarantined: [SemVer]
    /// The release the silos of unopened waves still run: what a halt rolls back to.
    public var previous: PointedRelease?
    /// The alarms, bake and `INSUFFICIENT_DATA` rule each silo judges its health by after
    /// an update (nil: no health gate). Carried by a pointer of schema `ferry.pointer/v2.1`.
    public var health: HealthGate?

    public init(waves: [WaveSelector], open: Int = 0, halted: Bool = false, quarantined: [SemVer] = [],
                previous: PointedRelease? = nil, health: HealthGate? = nil) {
        self.waves = waves
        self.open = open
        self.halted = halted
        self.quarantined = quarantined
        self.previous = previous
        self.health = health
    }

    /// The block a move from `old` to `new` carries (every writer but the controller):
    /// a move up starts the rollout again at wave 0, unhalted, remembering `old`; a move
    /// down (a rollback) opens every wave at once; the waves and the quarantine stay.
    public func carried(from old: PointedRelease?, to new: PointedRelease?) -> Rollout {
        guard let old, let new, !new.isSameRelease(as: old) else { return self }
        var block = self
        if new.version > old.version {
            block.open = 0
            block.halted = false
            block.previous = old
        } else {
            block.open = waves.count
            block.previous = nil
        }
        return block
    }

    /// The wave a silo is in: the first that selects it; a silo no wave selects is in the last.
    public static func waveIndex(of facts: SiloFacts, in waves: [WaveSelector]) -> Int {
        waves.indices.first { waves[$0].selects(facts, index: $0) } ?? max(waves.count - 1, 0)
    }

    public func waveIndex(of facts: SiloFacts) -> Int { Self.waveIndex(of: facts, in: waves) }

    /// Whether the silo's wave is open.
    public func isOpen(for facts: SiloFacts) -> Bool { waveIndex(of: facts) < open }

    public func isQuarantined(_ version: SemVer) -> Bool { quarantined.contains(version) }

    func validate() throws(ManifestError) {
        try health?.validate()
        guard !waves.isEmpty else {
            throw ManifestError(.invalidValue, "the field `rollout.waves` must list at least one wave", field: "rollout.waves")
        }
        guard (0...waves.count).contains(open) else {
            throw ManifestError(.invalidValue, "the field `rollout.open` must be between 0 and the number of waves (\(waves.count))",
                                field: "rollout.open")
        }
        var names: Set<String> = []
        for (index, wave) in waves.enumerated() {
            guard !wave.name.isEmpty, names.insert(wave.name).inserted else {
                throw ManifestError(.invalidValue, "wave \(index + 1) of `rollout.waves` needs a name of its own",
                                    field: "rollout.waves")
            }
            if let percent = wave.percent, !(1...100).contains(percent) {
                throw ManifestError(.invalidValue, "the field `percent` of wave '\(wave.name)' must be 1 to 100",
                                    field: "rollout.waves")
            }
        }
    }
}
