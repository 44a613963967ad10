import Archive
import Basics
import Bucket
import Foundation
import Manifest

/// A release that passed `ferry verify`, and what was checked.
public struct VerifiedRelease: Sendable {
    public var manifest: Manifest
    public var manifestSha256: String
    public var bundleSha256: String
    /// One line per check that passed, for the person reading.
    public var checks: [String]
}

/// `ferry verify`: a release is what its builder signed. Checked, in order: the
/// manifest's signature by a trusted `builder` key; the bundle unpacks safely to
/// exactly the manifest's files (and `manifest.json`), each with its size and
/// SHA-256; the `manifest.json` inside is the one signed. From the bucket also: the
/// bundle's SHA-256 against every channel pointer that names this version (and the
/// pointers' signatures when release or on-call keys are trusted), and every artifact
/// present with its SHA-256. Any mismatch throws `.verification` naming it.
public enum ReleaseVerifier {
    /// Verifies a folder `ferry build` wrote, offline.
    public static func verify(folder: BuildFolder, trust: TrustStore, scratch: String) throws(BuildError) -> VerifiedRelease {
        let manifestBytes = try folder.readFile(BuildFolder.manifest, cap: SizeCap.manifest)
        let signature = try folder.readFile(BuildFolder.signature, cap: SizeCap.signature)
        return try check(bundle: folder.file(BuildFolder.bundle), manifestBytes: manifestBytes, signature: signature,
                         trust: trust, scratch: scratch)
    }

    /// Verifies the published release `version` of `pipeline` in `bucket`.
    public static func verify(bucket: SharedBucket, pipeline: String, version: SemVer, trust: TrustStore,
                              scratch: String) throws(BuildError) -> VerifiedRelease {
        let layout = bucket.layout
        let keys: (bundle: String, manifest: String, signature: String)
        do {
            keys = (try layout.bundle(pipeline: pipeline, version: version),
                    try layout.manifest(pipeline: pipeline, version: version),
                    try layout.signature(pipeline: pipeline, version: version))
        } catch {
            throw BuildError(.invalidInput, error.message)
        }
        let manifestBytes: Data, signature: Data, recorded: String?
        do {
            manifestBytes = try bucket.require(key: keys.manifest, cap: SizeCap.manifest, what: "release \(version) of \(pipeline)")
            signature = try bucket.require(key: keys.signature, cap: SizeCap.signature, what: "the signature of \(version)")
            recorded = try bucket.digest(of: keys.bundle)
        } catch {
            throw BuildError(error, doing: "reading release \(version) of \(pipeline)")
        }
        let manifest = try verifiedManifest(manifestBytes, signature, trust)
        guard let recorded else {
            throw BuildError(.verification, "the bundle of \(pipeline) \(version) carries no recorded sha256: it was not "
                + "published by ferry publish")
        }
        let bundlePath = scratch + "/bundle.zip"
        do {
            _ = try bucket.download(key: keys.bundle, to: bundlePath,
                                    limit: manifest.bundleSizeLimit(manifestBytes: manifestBytes.count), sha256: recorded)
        } catch {
            throw BuildError(error, doing: "downloading the bundle of \(pipeline) \(version)")
        }
        var result = try check(bundle: bundlePath, manifestBytes: manifestBytes, signature: signature, trust: trust,
                               scratch: scratch)
        result.checks += try checkPointers(bucket: bucket, release: result, trust: trust)
        result.checks += try checkArtifacts(manifest.artifacts, in: bucket)
        return result
    }

    /// `s3://BUCKET/PREFIX/releases/PIPELINE/VERSION[/]` → its parts (PREFIX may be empty).
    public static func parse(uri: String) throws(BuildError) -> (bucket: String, prefix: String, pipeline: String, version: SemVer) {
        let usage = "give s3://BUCKET/PREFIX/releases/PIPELINE/VERSION, e.g. s3://releases/ferry/releases/webapp/1.4.2"
        guard uri.hasPrefix("s3://") else { throw BuildError(.invalidInput, "'\(uri)' is not an s3:// URI: \(usage)") }
        var parts = uri.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        guard parts.count >= 4, let marker = parts.lastIndex(of: "releases"), marker == parts.count - 3, marker >= 1,
              !parts[0].isEmpty else {
            throw BuildError(.invalidInput, "'\(uri)' does not name a release: \(usage)")
        }
        let prefix = parts[1..<marker].map { $0 + "/" }.joined()
        guard let version = try? SemVer(parts[marker + 2]) else {
            throw BuildError(.invalidInput, "'\(parts[marker + 2])' in '\(uri)' is not a semantic version: \(usage)")
        }
        return (parts[0], prefix, parts[marker + 1], version)
    }

    // MARK: Checks

    static func verifiedManifest(_ bytes: Data, _ signature: Data, _ trust: TrustStore) throws(BuildError) -> Manifest {
        do {
            return try verifyManifest(bytes: bytes, signature: signature, trust: trust)
        } catch {
            throw BuildError(.verification, "the manifest's signature is not valid for the trusted keys: \(error.message)")
        }
    }

    static func check(bundle: String, manifestBytes: Data, signature: Data, trust: TrustStore,
                      scratch: String) throws(BuildError) -> VerifiedRelease {
        let manifest = try verifiedManifest(manifestBytes, signature, trust)
        let signers = signerIDs(signature, trust: trust)
        let total = Int64(manifest.files.reduce(manifestBytes.count) { $0 + $1.size })
        let limits = ExtractLimits(maxEntries: manifest.files.count + 1, maxBytes: total, maxRatio: 1_000)
        let extracted: [ExtractedFile]
        do {
            // No CRC-32 check: every file is held to the signed manifest's SHA-256 below.
            extracted = try extract(zip: bundle, into: scratch + "/unpacked", limits: limits, skipCRC: true)
        } catch {
            throw BuildError(.verification, "the bundle \(bundle) does not unpack to the signed files: \(error.message)")
        }
        var expected = Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.path, ($0.size, $0.sha256)) })
        expected[BundleLayout.manifest] = (manifestBytes.count, sha256Hex(manifestBytes))
        for file in extracted {
            guard let (size, sha256) = expected.removeValue(forKey: file.path) else {
                throw BuildError(.verification, "the bundle holds \(file.path), which the manifest does not list: refused")
            }
            guard Int64(size) == file.size, sha256 == file.sha256 else {
                throw BuildError(.verification, "\(file.path) in the bundle has sha256 \(file.sha256) (\(file.size) bytes), "
                    + "but the manifest signed \(sha256) (\(size) bytes): the bundle was altered; do not use it")
            }
        }
        if let missing = expected.keys.sorted().first {
            throw BuildError(.verification, "the bundle lacks \(missing), which the manifest lists: refused")
        }
        let bundleSha256 = try ArtifactCache.digest(ofFile: bundle).sha256
        return VerifiedRelease(
            manifest: manifest, manifestSha256: sha256Hex(manifestBytes), bundleSha256: bundleSha256,
            checks: ["manifest signed by trusted builder key \(signers.joined(separator: ", "))",
                     "\(manifest.files.count + 1) files in the bundle match the manifest"])
    }

    /// The trusted key ids among the signatures (for the report).
    private static func signerIDs(_ signature: Data, trust: TrustStore) -> [String] {
        struct File: Decodable {
            struct Entry: Decodable { let keyid: String }
            let signatures: [Entry]
        }
        let file = try? CanonicalJSON.decode(File.self, from: signature, cap: SizeCap.signature, what: "the signature file")
        return (file?.signatures ?? []).map(\.keyid).filter { id in (try? KeyID(hex: id)).flatMap { trust[$0] } != nil }
    }

    /// Every channel pointer naming this version must name exactly this manifest and bundle.
    static func checkPointers(bucket: SharedBucket, release: VerifiedRelease, trust: TrustStore) throws(BuildError) -> [String] {
        let pipeline = release.manifest.pipeline, version = release.manifest.version
        let prefix = bucket.layout.prefix + "channels/" + pipeline + "/"
        let canVerify = trust.entries.values.contains { !$0.roles.isDisjoint(with: [.release, .oncall]) }
        var checks: [String] = []
        do {
            for object in try bucket.list(prefix: prefix) where object.key.hasSuffix(".json") {
                guard case .found(let bytes, _) = try bucket.read(key: object.key, cap: SizeCap.pointer) else { continue }
                let pointer: Pointer, named: PointedRelease
                do {
                    pointer = try unverifiedContents(Pointer.self, ofEnvelope: bytes)
                    guard let release = pointer.release, release.version == version else { continue }
                    named = release
                    if canVerify {
                        // The signature is what is checked here, not freshness.
                        _ = try verifyPointer(bytes: bytes, trust: trust)
                    }
                } catch {
                    throw BuildError(.verification, "the pointer s3://\(bucket.name)/\(object.key) is not valid: \(error.message)")
                }
                guard named.bundleSha256 == release.bundleSha256, named.manifestSha256 == release.manifestSha256 else {
                    throw BuildError(.verification, "\(pointer.scope) points at \(version) with bundle sha256 "
                        + "\(named.bundleSha256), but the bundle in the bucket has \(release.bundleSha256): the release "
                        + "objects were replaced after publishing; do not deploy it")
                }
                checks.append("bundle sha256 matches \(pointer.scope) (serial \(pointer.serial)"
                    + (canVerify ? ", pointer signature valid)" : "; pointer signature not checked: no release key trusted)"))
            }
        } catch let error as BuildError {
            throw error
        } catch let error as BucketError {
            throw BuildError(error, doing: "reading the channel pointers of \(pipeline)")
        } catch {
            throw BuildError(.verification, "reading the channel pointers of \(pipeline): \(error)")
        }
        if checks.isEmpty { checks.append("no channel points at \(version)") }
        return checks
    }

    /// Every artifact is in the bucket with the digest the manifest signed.
    static func checkArtifacts(_ artifacts: [Manifest.Artifact], in bucket: SharedBucket) throws(BuildError) -> [String] {
        _ = try parallelMap(artifacts, width: 8) { (artifact) throws(BuildError) -> Void in
            let recorded: String?
            do throws(BucketError) {
                recorded = try bucket.digest(of: artifact.key)
            } catch where error.code == .notFound {
                throw BuildError(.verification, "artifact \(artifact.key) is missing from the bucket: publish the release again")
            } catch {
                throw BuildError(error, doing: "checking artifact \(artifact.key)")
            }
            guard recorded == artifact.sha256 else {
                throw BuildError(.verification, "artifact \(artifact.key) has sha256 \(recorded ?? "unrecorded") in the "
                    + "bucket, not \(artifact.sha256)")
            }
        }
        return ["\(artifacts.count) artifacts in the bucket with the signed sha256"]
    }
}
