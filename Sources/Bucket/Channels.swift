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

    /// The release as a pointer names it.
    public var pointed: PointedRelease { PointedRelease(self) }
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

    /// A bucket key from the layout, its name errors as `.invalidDocument`.
    func key(_ make: () throws(ManifestError) -> String) throws(BucketError) -> String {
        do {
            return try make()
        } catch {
            throw BucketError(.invalidDocument, error.message)
        }
    }
}
