import Basics
import Foundation
import Manifest

/// A published release as a pointer or pin names it.
public struct ReleaseRef: Sendable, Equatable, ReleaseIdentity {
    public let pipeline: String
    public let version: SemVer
    public let manifestSha256: String
    public let bundleSha256: String

    public init(pipeline: String, version: SemVer, manifestSha256: String, bundleSha256: String) {
        self.pipeline = pipeline
        self.version = version
        self.manifestSha256 = manifestSha256
        self.bundleSha256 = bundleSha256
    }
}

/// What a pointer or pin move did.
public enum Move<Document: Sendable & Equatable>: Sendable, Equatable {
    /// A new document with the next serial was written.
    case moved(Document)
    /// It already named this release: nothing was written.
    case unchanged(Document)

    public var document: Document {
        switch self {
        case .moved(let document), .unchanged(let document): document
        }
    }
}

extension SharedBucket {
    /// The published release `version` of `pipeline`: the digest of its `manifest.json`
    /// (read and hashed) and of its bundle (recorded when it was written).
    public func release(pipeline: String, version: SemVer) throws(BucketError) -> ReleaseRef {
        let manifestKey = try key { () throws(ManifestError) in try layout.manifest(pipeline: pipeline, version: version) }
        let bundleKey = try key { () throws(ManifestError) in try layout.bundle(pipeline: pipeline, version: version) }
        let manifest = try require(key: manifestKey, cap: SizeCap.manifest,
                                   what: "release \(version) of \(pipeline)")
        guard let bundleSha256 = try digest(of: bundleKey) else {
            throw BucketError(.invalidDocument, "the bundle of \(pipeline) \(version) carries no sha256 metadata: "
                + "it was not published by ferry; publish the release again with ferry publish")
        }
        return ReleaseRef(pipeline: pipeline, version: version, manifestSha256: sha256Hex(manifest),
                          bundleSha256: bundleSha256)
    }

    /// The versions of `pipeline` published in the bucket, highest first.
    public func releases(pipeline: String) throws(BucketError) -> [SemVer] {
        let prefix = try key { () throws(ManifestError) in try layout.releasesPrefix(pipeline: pipeline) }
        return try folders(under: prefix).compactMap { try? SemVer($0) }.sorted(by: >)
    }

    // MARK: Channel pointers

    /// The channel's current pointer and ETag, or nil when the channel was never set.
    /// The signature is NOT checked: this is for the serial of the next move only.
    public func currentPointer(pipeline: String, channel: String) throws(BucketError) -> (ChannelPointer, etag: String)? {
        let key = try key { () throws(ManifestError) in try layout.channel(pipeline: pipeline, channel: channel) }
        guard case .found(let data, let etag) = try read(key: key, cap: SizeCap.pointer) else { return nil }
        do {
            return (try unverifiedContents(ChannelPointer.self, ofEnvelope: data), etag)
        } catch {
            throw BucketError(error, reading: "the pointer of channel \(channel) of \(pipeline)")
        }
    }

    /// Moves `channel` to `release`: a new pointer with the current serial + 1, signed
    /// with `key`, written by compare-and-swap. A channel already at this release is not
    /// moved. A concurrent move throws `.channelMoved` and loses nothing.
    public func moveChannel(pipeline: String, channel: String, to release: ReleaseRef, reason: String,
                            key signer: SigningKey, now: Date, expiresAt: Date? = nil) throws(BucketError) -> Move<ChannelPointer> {
        let key = try key { () throws(ManifestError) in try layout.channel(pipeline: pipeline, channel: channel) }
        let current = try currentPointer(pipeline: pipeline, channel: channel)
        if let (pointer, _) = current, pointer.isSameRelease(as: release), pointer.expiresAt == expiresAt.map(Timestamp.format) {
            return .unchanged(pointer)
        }
        let pointer = ChannelPointer(
            pipeline: pipeline, channel: channel, serial: (current?.0.serial ?? 0) + 1, version: release.version,
            manifestSha256: release.manifestSha256, bundleSha256: release.bundleSha256,
            issuedAt: Timestamp.format(now), expiresAt: expiresAt.map(Timestamp.format), reason: reason,
            issuedBy: signer.id)
        let sealed: Data
        do {
            sealed = try sealPointer(pointer, with: signer)
        } catch {
            throw BucketError(error, reading: "the new pointer of channel \(channel)")
        }
        try swap(key: key, data: sealed, expecting: current?.etag)
        return .moved(pointer)
    }

    // MARK: Pins

    /// The silo's current pin and ETag, or nil when it has none. Signature NOT checked.
    public func currentPin(pipeline: String, silo: String) throws(BucketError) -> (Pin, etag: String)? {
        let key = try key { () throws(ManifestError) in try layout.pin(pipeline: pipeline, silo: silo) }
        guard case .found(let data, let etag) = try read(key: key, cap: SizeCap.pin) else { return nil }
        do {
            return (try unverifiedContents(Pin.self, ofEnvelope: data), etag)
        } catch {
            throw BucketError(error, reading: "the pin of \(silo) in \(pipeline)")
        }
    }

    /// Pins `silo` to `release`. The serial continues from the highest any earlier pin of
    /// this silo had (removed ones included, from the bucket's versions), so an agent that
    /// accepted an old pin accepts the new one.
    public func pin(pipeline: String, silo: String, to release: ReleaseRef, reason: String, key signer: SigningKey,
                    now: Date, expiresAt: Date? = nil) throws(BucketError) -> Move<Pin> {
        let key = try key { () throws(ManifestError) in try layout.pin(pipeline: pipeline, silo: silo) }
        let current = try currentPin(pipeline: pipeline, silo: silo)
        if let (pin, _) = current, pin.isSameRelease(as: release), pin.expiresAt == expiresAt.map(Timestamp.format) {
            return .unchanged(pin)
        }
        let serial = try highestPinSerial(key: key, current: current?.0) + 1
        let pin = Pin(pipeline: pipeline, silo: silo, serial: serial, version: release.version,
                      manifestSha256: release.manifestSha256, bundleSha256: release.bundleSha256,
                      issuedAt: Timestamp.format(now), expiresAt: expiresAt.map(Timestamp.format), reason: reason,
                      issuedBy: signer.id)
        let sealed: Data
        do {
            sealed = try sealPin(pin, with: signer)
        } catch {
            throw BucketError(error, reading: "the new pin of \(silo)")
        }
        try swap(key: key, data: sealed, expecting: current?.etag)
        return .moved(pin)
    }

    /// Removes the silo's pin (a delete marker); the silo returns to its channel. False
    /// when there was no pin.
    public func unpin(pipeline: String, silo: String) throws(BucketError) -> Bool {
        let key = try key { () throws(ManifestError) in try layout.pin(pipeline: pipeline, silo: silo) }
        guard try exists(key: key) else { return false }
        try delete(key: key)
        return true
    }

    private func highestPinSerial(key: String, current: Pin?) throws(BucketError) -> Int {
        if let current { return current.serial }
        // Removed: the newest version that is not a delete marker held the last serial.
        guard let last = try versions(of: key).first(where: { !$0.isDeleteMarker }),
              case .found(let data, _) = try read(key: key, versionId: last.versionId, cap: SizeCap.pin)
        else { return 0 }
        return (try? unverifiedContents(Pin.self, ofEnvelope: data))?.serial ?? 0
    }

    /// A bucket key from the layout, its name errors as `.invalidDocument`.
    func key(_ make: () throws(ManifestError) -> String) throws(BucketError) -> String {
        do {
            return try make()
        } catch {
            throw BucketError(.invalidDocument, error.message)
        }
    }
}
