import Bucket
import Foundation
import Manifest

/// One published release, from its `manifest.json`.
public struct ReleaseEntry: Sendable, Equatable, Codable {
    public var version: SemVer
    public var commit: String?
    public var tag: String?
    /// The commit time (the manifest's `createdAt`).
    public var createdAt: String?
    public var subject: String?
    public var tests: [Manifest.TestRun]
    /// Why the manifest could not be read, when it could not.
    public var problem: String?

    public init(_ manifest: Manifest) {
        version = manifest.version
        commit = manifest.source.commit
        tag = manifest.source.tag
        createdAt = manifest.createdAt
        subject = manifest.source.subject
        tests = manifest.tests
    }

    public init(version: SemVer, problem: String) {
        self.version = version
        tests = []
        self.problem = problem
    }

    /// `none`, `3 passed`, or `1 of 3 failed`.
    public var testsSummary: String {
        guard !tests.isEmpty else { return "none" }
        let failed = tests.count { $0.exitStatus != 0 }
        return failed == 0 ? "\(tests.count) passed" : "\(failed) of \(tests.count) failed"
    }
}

/// One version of a channel's pointer object: one move of the channel.
public struct PointerMove: Sendable, Equatable, Codable, ReleaseIdentity {
    public var channel: String
    public var serial: Int
    public var version: SemVer
    public var manifestSha256: String
    public var bundleSha256: String
    public var issuedAt: String
    public var expiresAt: String?
    public var issuedBy: KeyID
    public var reason: String
    /// The S3 version id of this pointer object.
    public var objectVersionId: String

    /// Nil for a document that names no release (only a pin can end).
    public init?(_ pointer: Pointer, objectVersionId: String) {
        guard let release = pointer.release else { return nil }
        channel = pointer.scope.name
        serial = pointer.serial
        version = release.version
        manifestSha256 = release.manifestSha256
        bundleSha256 = release.bundleSha256
        issuedAt = pointer.issuedAt
        expiresAt = pointer.expiresAt
        issuedBy = pointer.issuedBy
        reason = pointer.reason
        self.objectVersionId = objectVersionId
    }
}

/// Every move of one channel, newest (highest serial) first.
public struct ChannelHistory: Sendable, Equatable, Codable {
    public var channel: String
    public var moves: [PointerMove]
    /// Versions of the pointer object that could not be read.
    public var problems: [String]

    public init(channel: String, moves: [PointerMove], problems: [String] = []) {
        self.channel = channel
        self.moves = moves.sorted { $0.serial > $1.serial }
        self.problems = problems
    }
}

/// One change of a silo's pin: a new pin, or its end (`removed`: a signed ended pin, or a delete
/// marker left by hand).
public struct PinMove: Sendable, Equatable, Codable {
    public var silo: String
    public var removed: Bool
    public var serial: Int?
    public var version: SemVer?
    public var issuedBy: KeyID?
    public var reason: String?
    /// When it happened: the pin's `issuedAt`, or the removal's time in S3.
    public var time: String
    public var objectVersionId: String

    public init(silo: String, removed: Bool, serial: Int? = nil, version: SemVer? = nil, issuedBy: KeyID? = nil,
                reason: String? = nil, time: String, objectVersionId: String) {
        self.silo = silo
        self.removed = removed
        self.serial = serial
        self.version = version
        self.issuedBy = issuedBy
        self.reason = reason
        self.time = time
        self.objectVersionId = objectVersionId
    }
}

/// What `ferry history` shows.
public struct History: Sendable, Equatable, Codable {
    public var pipeline: String
    /// Highest version first.
    public var releases: [ReleaseEntry]
    public var channels: [ChannelHistory]
    /// By silo, newest first within one; empty when the history was asked for one channel.
    public var pins: [PinMove]

    public init(pipeline: String, releases: [ReleaseEntry], channels: [ChannelHistory], pins: [PinMove]) {
        self.pipeline = pipeline
        self.releases = releases
        self.channels = channels
        self.pins = pins
    }
}

/// The decisions made from a channel's past. Pure.
public enum PointerHistory {
    /// The move the channel made before `current`: the newest move with a lower serial
    /// naming another release. Nil when there is none (the channel only ever pointed here).
    public static func previous(current: PointerMove, moves: [PointerMove]) -> PointerMove? {
        moves.filter { $0.serial < current.serial && !$0.isSameRelease(as: current) }
            .max { $0.serial < $1.serial }
    }

    /// Refuses `release` when any earlier pointer of the channel named its version with
    /// other digests: the release objects in the bucket are not the ones the fleet ran.
    public static func check(_ release: ReleaseRef, against moves: [PointerMove], channel: String) throws(FleetError) {
        for move in moves where move.version == release.version {
            guard move.isSameRelease(as: release) else {
                throw FleetError(.digestMismatch, "release \(release.version) of \(release.pipeline) in the bucket has "
                    + "manifest sha256 \(release.manifestSha256) and bundle sha256 \(release.bundleSha256), but "
                    + "channel \(channel) pointed at it with manifest \(move.manifestSha256) and bundle "
                    + "\(move.bundleSha256) (serial \(move.serial)): the release objects were replaced; refused. "
                    + "Check the bucket's object versions and CloudTrail before moving any channel")
            }
        }
    }
}

/// A release whose objects are partly in the bucket: a publish (or release) stopped
/// between `bundle.zip` and `manifest.json` (Ctrl-C, an outage). Agents never see it:
/// nothing points at it and the manifest is written last.
public enum HalfPublished {
    /// What `history` shows and `rollback --to` / `pin --to` say about it.
    public static func note(pipeline: String, version: SemVer) -> String {
        "half-published: its objects are in the bucket but manifest.json is not (a publish was interrupted); "
            + "run the same `ferry release \(pipeline) \(version)` or `ferry publish` of its build folder again "
            + "to finish it"
    }
}
