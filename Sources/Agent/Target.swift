import Foundation
import Manifest

/// The release the agent should run, and the signed document that named it.
public struct Target: Codable, Hashable, Sendable {
    public var source: TargetSource
    /// The serial of the pointer or pin that named the release.
    public var serial: Int
    public var version: SemVer
    public var manifestSha256: String
    public var bundleSha256: String

    public init(source: TargetSource, serial: Int, version: SemVer, manifestSha256: String, bundleSha256: String) {
        self.source = source
        self.serial = serial
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
    }

    /// Which document and serial: a release failed "under" this key is never retried.
    public var key: TargetKey { TargetKey(source: source, serial: serial) }

    /// "webapp 1.4.2 (channel stable, serial 42)".
    public func describe(pipeline: String) -> String {
        "\(pipeline) \(version) (\(source), serial \(serial))"
    }
}

/// Where a target came from: a channel pointer or this silo's pin. Pins and pointers
/// count their serials separately.
public enum TargetSource: Hashable, Sendable, Codable, CustomStringConvertible {
    case channel(String)
    case pin

    /// `channel stable` or `pin`.
    public var description: String {
        switch self {
        case .channel(let name): "channel \(name)"
        case .pin: "pin"
        }
    }

    /// The journal's spelling: `channel:stable` or `pin`.
    public var storageName: String {
        switch self {
        case .channel(let name): "channel:" + name
        case .pin: "pin"
        }
    }

    /// Reads the journal's spelling back; `nil` for anything else.
    public init?(storageName: String) {
        if storageName == "pin" {
            self = .pin
        } else if storageName.hasPrefix("channel:"), storageName.count > 8 {
            self = .channel(String(storageName.dropFirst(8)))
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let source = TargetSource(storageName: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a target source: \(text)"))
        }
        self = source
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(storageName)
    }
}

/// A (source, serial) pair: the unit of "applied" and "failed here".
public struct TargetKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var source: TargetSource
    public var serial: Int

    public init(source: TargetSource, serial: Int) {
        self.source = source
        self.serial = serial
    }

    public var description: String { "\(source) serial \(serial)" }
}

/// A pointer or pin the agent accepted, as the journal keeps it: enough to refuse a
/// replay, answer a conditional GET, and name the target.
public struct AcceptedDocument: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case channel
        case pin
    }

    public var kind: Kind
    /// The channel's name, or the silo's for a pin.
    public var name: String
    public var serial: Int
    /// SHA-256 of the document's bytes as fetched (the signed envelope).
    public var sha256: String
    /// The ETag to send as `If-None-Match` on the next poll.
    public var etag: String?
    public var version: SemVer
    public var manifestSha256: String
    public var bundleSha256: String
    public var expiresAt: String?
    /// A pin that was removed from the bucket: it names nothing any more, but its serial
    /// stays the high-water mark, so an old pin restored later is refused as a replay.
    public var removed: Bool
    /// When the agent accepted it, RFC 3339 UTC.
    public var acceptedAt: String
    /// A channel pointer's rollout block: the waves that may apply it, and the
    /// quarantined versions (kept so a `304` still knows them).
    public var rollout: Rollout?

    public init(kind: Kind, name: String, serial: Int, sha256: String, etag: String?, version: SemVer,
                manifestSha256: String, bundleSha256: String, expiresAt: String?, removed: Bool = false,
                acceptedAt: String, rollout: Rollout? = nil) {
        self.kind = kind
        self.name = name
        self.serial = serial
        self.sha256 = sha256
        self.etag = etag
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
        self.expiresAt = expiresAt
        self.removed = removed
        self.acceptedAt = acceptedAt
        self.rollout = rollout
    }

    /// Whether `expiresAt` has come (`expiresAt <= now`, as `openPointer` decides).
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt, let expiry = Timestamp.parse(expiresAt) else { return false }
        return expiry <= now
    }

    /// The target this document names.
    public var target: Target {
        Target(source: kind == .pin ? .pin : .channel(name), serial: serial, version: version,
               manifestSha256: manifestSha256, bundleSha256: bundleSha256)
    }
}
