import Bucket
import Foundation
import Manifest

/// A build folder read back and checked against the bucket it is published to.
struct PublishPlan {
    struct Keys {
        var folder: String
        var bundle: String
        var manifest: String
        var signature: String
    }

    let manifest: Manifest
    let manifestBytes: Data
    let signature: Data
    let bundleSha256: String
    let artifacts: [BuildFolder.Artifacts.Entry]
    let keys: Keys

    /// Reads `folder` and checks that it was built for `bucket` (its templates name the
    /// bucket and prefix) and that the manifest and the artifact list agree.
    static func load(_ folder: BuildFolder, for bucket: SharedBucket) throws(BuildError) -> PublishPlan {
        let (manifestBytes, signature, list) = try folder.read()
        let manifest: Manifest
        do {
            manifest = try Manifest.decode(manifestBytes)
        } catch {
            throw BuildError(.invalidInput, "\(folder.file(BuildFolder.manifest)) is not a manifest ferry would "
                + "publish: \(error.message); build again")
        }
        guard list.bucket == bucket.name, list.prefix == bucket.layout.prefix else {
            throw BuildError(.invalidInput, "\(folder.path) was built for s3://\(list.bucket)/\(list.prefix) (its templates "
                + "point there), not s3://\(bucket.name)/\(bucket.layout.prefix): build again with --bucket "
                + "\(bucket.name) --prefix \(bucket.layout.prefix)")
        }
        let listed = Dictionary(list.artifacts.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for artifact in manifest.artifacts {
            guard let entry = listed[artifact.key], entry.sha256 == artifact.sha256, entry.size == artifact.size else {
                throw BuildError(.invalidInput, "\(folder.file(BuildFolder.artifacts)) does not list the manifest's "
                    + "artifact \(artifact.key) as built: the folder is inconsistent; build again")
            }
        }
        let bundleSha256 = try ArtifactCache.digest(ofFile: folder.file(BuildFolder.bundle)).sha256
        let keys: Keys
        do {
            keys = Keys(folder: try bucket.layout.release(pipeline: manifest.pipeline, version: manifest.version),
                        bundle: try bucket.layout.bundle(pipeline: manifest.pipeline, version: manifest.version),
                        manifest: try bucket.layout.manifest(pipeline: manifest.pipeline, version: manifest.version),
                        signature: try bucket.layout.signature(pipeline: manifest.pipeline, version: manifest.version))
        } catch {
            throw BuildError(error, doing: "naming the release objects")
        }
        return PublishPlan(manifest: manifest, manifestBytes: manifestBytes, signature: signature, bundleSha256: bundleSha256,
                           artifacts: manifest.artifacts.map { listed[$0.key]! }, keys: keys)
    }
}
