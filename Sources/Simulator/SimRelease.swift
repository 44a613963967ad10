import Archive
import Basics
import Bucket
import Foundation
import Manifest

/// The release the simulator publishes: one stack of one SQS queue, whose description
/// names the version (so each release changes the stack).
enum SimRelease {
    static let stack = "queue"

    static func template(version: SemVer) -> String {
        """
        AWSTemplateFormatVersion: '2010-09-09'
        Description: ferry fleet simulator, release \(version)
        Resources:
          Queue:
            Type: AWS::SQS::Queue

        """
    }

    /// Publishes `version` of `pipeline` as `ferry release` leaves it in the bucket: the
    /// signed manifest, its signature and the bundle (write-once), then the channel
    /// pointer moved to it (compare-and-swap), all signed with `key` and stamped `now`.
    /// The only place the simulator writes release documents: when the pointer format
    /// changes, this function is the one to adapt. `scratch` holds the bundle meanwhile.
    static func publish(to bucket: SharedBucket, pipeline: String, channel: String, version: SemVer,
                        key: SigningKey, trust: TrustStore, now: Date, scratch: String) throws -> ReleaseRef {
        let templatePath = BundleLayout.template(stack: stack, ext: "yaml")
        let files: [String: Data] = [
            BundleLayout.testsLog: Data("simulator: no tests\n".utf8),
            templatePath: Data(template(version: version).utf8),
        ]
        let manifest = Manifest(
            pipeline: pipeline, version: version, createdAt: Timestamp.format(now),
            source: .init(repository: "simulator", commit: String(repeating: "5", count: 40), tag: "v\(version)",
                          author: "Simulator <sim@example.com>", subject: "simulated release \(version)"),
            stacks: [.init(name: stack, template: templatePath)],
            files: files.keys.sorted().map { Manifest.File(path: $0, size: files[$0]!.count, sha256: sha256Hex(files[$0]!)) })
        let (manifestBytes, signature) = try signManifest(manifest, with: key)
        let entries = files.map { ZipEntry(name: $0.key, source: .bytes($0.value)) }
            + [ZipEntry(name: BundleLayout.manifest, source: .bytes(manifestBytes))]
        let zip = scratch + "/bundle-\(pipeline)-\(version).zip"
        let written = try writeZip(entries: entries, to: zip, mtime: now, durable: false)
        defer { try? FileManager.default.removeItem(atPath: zip) }
        let layout = bucket.layout
        _ = try bucket.writeOnce(key: try layout.bundle(pipeline: pipeline, version: version), file: zip,
                                 sha256: written.sha256)
        _ = try bucket.writeOnce(key: try layout.manifest(pipeline: pipeline, version: version), data: manifestBytes)
        _ = try bucket.writeOnce(key: try layout.signature(pipeline: pipeline, version: version), data: signature)
        let release = ReleaseRef(pipeline: pipeline, version: version, manifestSha256: sha256Hex(manifestBytes),
                                 bundleSha256: written.sha256)
        let writer = PointerSigner(key: key, trust: trust)
        let plan = try bucket.planMove(pipeline: pipeline, scope: .channel(channel), to: .release(release.pointed),
                                       reason: "simulated release", by: writer)
        _ = try bucket.commit(plan, by: writer, now: now)
        return release
    }
}
