import Foundation

/// Whom a pointer speaks for: every silo of a channel, or one silo (a pin).
public enum PointerScope: Hashable, Sendable, CustomStringConvertible {
    /// `channels/<pipeline>/<channel>.json`, signed by a `release` or `oncall` key.
    case channel(String)
    /// `pins/<pipeline>/<silo>.json`, signed by an `oncall` key only. Wins over the
    /// channel while it names a release and has not expired.
    case silo(String)

    /// The wire spelling of the scope: `channel` or `silo`.
    public var kind: String {
        switch self {
        case .channel: "channel"
        case .silo: "silo"
        }
    }

    /// The channel's or the silo's name.
    public var name: String {
        switch self {
        case .channel(let name), .silo(let name): name
        }
    }

    /// The roles whose keys the agents accept for a pointer of this scope.
    public var roles: Set<Role> {
        switch self {
        case .channel: [.release, .oncall]
        case .silo: [.oncall]
        }
    }

    /// "channel stable" or "the pin of silo-a".
    public var description: String {
        switch self {
        case .channel(let name): "channel \(name)"
        case .silo(let name): "the pin of \(name)"
        }
    }
}

/// One release by its version and the digests of its `manifest.json` and `bundle.zip`.
public struct PointedRelease: Codable, Hashable, Sendable, ReleaseIdentity {
    public var version: SemVer
    /// SHA-256 of the release's `manifest.json` bytes.
    public var manifestSha256: String
    /// SHA-256 of the release's `bundle.zip`.
    public var bundleSha256: String

    public init(version: SemVer, manifestSha256: String, bundleSha256: String) {
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
    }

    public init(_ release: some ReleaseIdentity) {
        self.init(version: release.version, manifestSha256: release.manifestSha256, bundleSha256: release.bundleSha256)
    }
}

/// The one signed target document (`ferry.pointer/v2`): which release a channel, or one
/// silo (a pin), runs. Stored inside a signed envelope as `channels/<pipeline>/<channel>.json`
/// or `pins/<pipeline>/<silo>.json`.
///
/// - `serial` goes up with every write of the object, rollbacks, refreshes and ended
///   pins included; an agent refuses a serial that is not above the last one it accepted.
///   `release.version` may go down (a rollback).
/// - `release` is `null` only for a silo: "this silo's pin has ended" (`ferry unpin`),
///   signed like any pin, so "no pin" is a fact an agent verifies, never a missing object.
/// - `expiresAt` is always written (ferry writes `issuedAt` + 30 days unless told
///   otherwise, `Pointer.defaultLifetime`); agents refuse the pointer from that instant on.
public struct Pointer: FerryDocument, Equatable {
    public static let kind = "pointer"
    public static let schemaMajor = 2
    public static let sizeCap = SizeCap.pointer
    public static let what = "the pointer"
    public static let nullWhenAbsent = ["expiresAt", "release"]
    /// How long a pointer ferry writes stays valid unless the pipeline sets `expiresIn`.
    public static let defaultLifetime: TimeInterval = 30 * 86_400
    /// The schema of a pointer whose rollout carries a health gate (`rollout.health`): a
    /// minor version, read by every v2 agent. An agent that predates health gates ignores
    /// the gate and reports no `health`; the rollout controller then never counts its silo
    /// healthy (it waits, naming the silo), so no wave opens past an agent that cannot judge.
    public static let healthGateSchema = "ferry.pointer/v2.1"

    /// The schema ferry writes for a pointer carrying `rollout`.
    public static func schema(for rollout: Rollout?) -> String {
        rollout?.health == nil ? currentSchema : healthGateSchema
    }

    public var schema: String
    public var pipeline: String
    public var scope: PointerScope
    /// 1 for the first document of this object, then one more with every write.
    public var serial: Int
    /// The release to run; nil only in a silo's ended pin.
    public var release: PointedRelease?
    /// RFC 3339 UTC.
    public var issuedAt: String
    /// RFC 3339 UTC; agents refuse the pointer from this instant on. `nil`: never expires
    /// (read, never written by ferry).
    public var expiresAt: String?
    /// Why it moved, for the audit trail ("rollback: 1.4.2 broke ingestion").
    public var reason: String
    /// The key that signed it; `openPointer` checks that this key's signature is valid.
    public var issuedBy: KeyID
    /// A channel's staged rollout: which waves may apply `release`, halted or not, and
    /// the quarantined versions. Absent (left out, not `null`): every silo applies.
    public var rollout: Rollout?

    public init(pipeline: String, scope: PointerScope, serial: Int, release: PointedRelease?, issuedAt: String,
                expiresAt: String?, reason: String, issuedBy: KeyID, rollout: Rollout? = nil,
                schema: String = Pointer.currentSchema) {
        self.schema = schema
        self.pipeline = pipeline
        self.scope = scope
        self.serial = serial
        self.release = release
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.reason = reason
        self.issuedBy = issuedBy
        self.rollout = rollout
    }

    /// A silo's pin that says "no pin any more".
    public var isEnded: Bool { release == nil }

    /// Whether it has expired at `now` (`expiresAt <= now`).
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt, let expiry = Timestamp.parse(expiresAt) else { return false }
        return expiry <= now
    }

    public func validate() throws(ManifestError) {
        try Check.name(pipeline, "pipeline", as: "pipeline")
        switch scope {
        case .channel(let channel):
            try Check.name(channel, "name", as: "channel")
            guard release != nil else {
                throw ManifestError(.missingField, "a channel pointer must name a release: only a pin can end",
                                    field: "release")
            }
        case .silo(let silo):
            try Check.name(silo, "name", as: "silo")
            guard rollout == nil else {
                throw ManifestError(.invalidValue, "a pin cannot carry a rollout: only a channel pointer can", field: "rollout")
            }
        }
        try rollout?.validate()
        guard serial >= 1 else {
            throw ManifestError(.invalidValue, "the field `serial` must be 1 or more", field: "serial")
        }
        if let release {
            try Check.sha256(release.manifestSha256, "release.manifestSha256")
            try Check.sha256(release.bundleSha256, "release.bundleSha256")
        }
        try Check.timestamp(issuedAt, "issuedAt")
        if let expiresAt { try Check.timestamp(expiresAt, "expiresAt") }
    }

    private enum CodingKeys: String, CodingKey {
        case schema, pipeline, scope, name, serial, release, issuedAt, expiresAt, reason, issuedBy, rollout
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schema = try container.decode(String.self, forKey: .schema)
        pipeline = try container.decode(String.self, forKey: .pipeline)
        let name = try container.decode(String.self, forKey: .name)
        switch try container.decode(String.self, forKey: .scope) {
        case "channel": scope = .channel(name)
        case "silo": scope = .silo(name)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .scope, in: container,
                                                   debugDescription: "must be \"channel\" or \"silo\", not \"\(other)\"")
        }
        serial = try container.decode(Int.self, forKey: .serial)
        release = try container.decodeIfPresent(PointedRelease.self, forKey: .release)
        issuedAt = try container.decode(String.self, forKey: .issuedAt)
        expiresAt = try container.decodeIfPresent(String.self, forKey: .expiresAt)
        reason = try container.decode(String.self, forKey: .reason)
        issuedBy = try container.decode(KeyID.self, forKey: .issuedBy)
        rollout = try container.decodeIfPresent(Rollout.self, forKey: .rollout)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schema, forKey: .schema)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(scope.kind, forKey: .scope)
        try container.encode(scope.name, forKey: .name)
        try container.encode(serial, forKey: .serial)
        try container.encodeIfPresent(release, forKey: .release)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encode(reason, forKey: .reason)
        try container.encode(issuedBy, forKey: .issuedBy)
        try container.encodeIfPresent(rollout, forKey: .rollout)
    }
}

extension Pointer {
    /// The one "unchanged" rule of every writer (publish, release, promote, rollback, pin,
    /// unpin): the object already names `release` (nil: an ended pin) and was signed by
    /// `signer`. Anything else (another release, another key after a rotation) is written
    /// again with a new serial. `ferry refresh` writes even then: that is its job.
    public static func isUnchanged(_ current: Pointer?, release: PointedRelease?, signer: KeyID) -> Bool {
        guard let current else { return false }
        return current.release == release && current.issuedBy == signer
    }

    /// The serial of the next write of an object whose versions (deleted, lowered and
    /// unreadable ones left out by the caller) carried `serials`: one above the highest.
    public static func nextSerial(after serials: some Sequence<Int>) throws(ManifestError) -> Int {
        let highest = serials.max() ?? 0
        guard highest < Int.max else {
            throw ManifestError(.invalidValue, "the object's history holds serial \(highest): no higher serial exists",
                                field: "serial")
        }
        return highest + 1
    }

    /// The pointer in force for a silo (pure): its pin while the pin names a release and has
    /// not expired, else the channel pointer while it has not expired, else none.
    public static func inForce(pin: Pointer?, channel: Pointer?, now: Date) -> Pointer? {
        if let pin, !pin.isEnded, !pin.isExpired(at: now) { return pin }
        if let channel, !channel.isExpired(at: now) { return channel }
        return nil
    }
}

/// Anything that names one release by its version and the digests of its manifest and
/// bundle: a pointer's release, a published release, a move in a channel's history.
public protocol ReleaseIdentity {
    var version: SemVer { get }
    var manifestSha256: String { get }
    var bundleSha256: String { get }
}

extension ReleaseIdentity {
    /// Whether `other` names the same release: the same version and the same bytes.
    public func isSameRelease(as other: some ReleaseIdentity) -> Bool {
        version == other.version && manifestSha256 == other.manifestSha256 && bundleSha256 == other.bundleSha256
    }
}
