/// Which release a channel runs (`ferry.pointer/v1`), signed by a `release` or `oncall`
/// key and stored as `channels/<pipeline>/<channel>.json` inside a signed envelope.
///
/// `serial` goes up by one with every move, rollbacks included; an agent refuses a
/// serial that is not above the last one it accepted. `version` may go down (a rollback).
/// `expiresAt` is always written, `null` meaning "never".
public struct ChannelPointer: FerryDocument, Equatable {
    public static let kind = "pointer"
    public static let sizeCap = SizeCap.pointer
    public static let what = "the channel pointer"
    public static let nullWhenAbsent = ["expiresAt"]

    public var schema: String
    public var pipeline: String
    public var channel: String
    /// 1 for the first pointer of a channel, then one more with every move.
    public var serial: Int
    public var version: SemVer
    /// SHA-256 of the release's `manifest.json` bytes.
    public var manifestSha256: String
    /// SHA-256 of the release's `bundle.zip`.
    public var bundleSha256: String
    /// RFC 3339 UTC.
    public var issuedAt: String
    /// RFC 3339 UTC; agents refuse the pointer from this instant on. `nil`: never expires.
    public var expiresAt: String?
    /// Why it moved, for the audit trail ("rollback: 1.4.2 broke ingestion").
    public var reason: String
    /// The key that signed it; `openPointer` checks that this key's signature is valid.
    public var issuedBy: KeyID

    public init(pipeline: String, channel: String, serial: Int, version: SemVer, manifestSha256: String,
                bundleSha256: String, issuedAt: String, expiresAt: String? = nil, reason: String, issuedBy: KeyID,
                schema: String = ChannelPointer.currentSchema) {
        self.schema = schema
        self.pipeline = pipeline
        self.channel = channel
        self.serial = serial
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.reason = reason
        self.issuedBy = issuedBy
    }

    public func validate() throws(ManifestError) {
        try Check.name(pipeline, "pipeline", as: "pipeline")
        try Check.name(channel, "channel", as: "channel")
        try Release.check(serial: serial, manifestSha256: manifestSha256, bundleSha256: bundleSha256,
                          issuedAt: issuedAt, expiresAt: expiresAt)
    }
}

/// A per-silo override (`ferry.pin/v1`): the same form as a channel pointer, for one
/// `silo` instead of a channel. It wins over the channel until removed. Signed by an
/// `oncall` key only; stored as `pins/<pipeline>/<silo>.json`.
public struct Pin: FerryDocument, Equatable {
    public static let kind = "pin"
    public static let sizeCap = SizeCap.pin
    public static let what = "the pin"
    public static let nullWhenAbsent = ["expiresAt"]

    public var schema: String
    public var pipeline: String
    public var silo: String
    /// 1 for the first pin of a silo, then one more with every change.
    public var serial: Int
    public var version: SemVer
    public var manifestSha256: String
    public var bundleSha256: String
    public var issuedAt: String
    public var expiresAt: String?
    public var reason: String
    public var issuedBy: KeyID

    public init(pipeline: String, silo: String, serial: Int, version: SemVer, manifestSha256: String,
                bundleSha256: String, issuedAt: String, expiresAt: String? = nil, reason: String, issuedBy: KeyID,
                schema: String = Pin.currentSchema) {
        self.schema = schema
        self.pipeline = pipeline
        self.silo = silo
        self.serial = serial
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.reason = reason
        self.issuedBy = issuedBy
    }

    public func validate() throws(ManifestError) {
        try Check.name(pipeline, "pipeline", as: "pipeline")
        try Check.name(silo, "silo", as: "silo")
        try Release.check(serial: serial, manifestSha256: manifestSha256, bundleSha256: bundleSha256,
                          issuedAt: issuedAt, expiresAt: expiresAt)
    }
}

/// The checks a pointer and a pin share.
enum Release {
    static func check(serial: Int, manifestSha256: String, bundleSha256: String, issuedAt: String,
                      expiresAt: String?) throws(ManifestError) {
        guard serial >= 1 else {
            throw ManifestError(.invalidValue, "the field `serial` must be 1 or more", field: "serial")
        }
        try Check.sha256(manifestSha256, "manifestSha256")
        try Check.sha256(bundleSha256, "bundleSha256")
        try Check.timestamp(issuedAt, "issuedAt")
        if let expiresAt { try Check.timestamp(expiresAt, "expiresAt") }
    }
}

/// Anything that names one release by its version and the digests of its manifest and
/// bundle: a channel pointer, a pin, a published release, a move in a channel's history.
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

extension ChannelPointer: ReleaseIdentity {}
extension Pin: ReleaseIdentity {}
