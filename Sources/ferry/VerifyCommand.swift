import AWS
import ArgumentParser
import Bucket
import Builder
import Foundation
import Manifest

/// `ferry verify`: a bundle folder or a published release is what a trusted builder signed.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle's signature and every digest, offline or in the bucket.",
        discussion: """
        Checks that manifest.sig is a valid signature by a trusted builder key over \
        manifest.json, that bundle.zip unpacks (safely) to exactly the files the manifest \
        lists with their sizes and SHA-256, and that the manifest inside is the one signed. \
        For a release in the bucket (s3://BUCKET/PREFIX/releases/PIPELINE/VERSION) also: the \
        bundle's SHA-256 against every channel pointer naming the version, and every \
        artifact present with its SHA-256. Exits non-zero with the reason on any mismatch.

        Examples:
          ferry verify build/ --trust ~/.ferry/builder.pub=builder
          ferry verify s3://my-releases/ferry/releases/dropzone/1.4.2 \\
              --trust builder.pub=builder --trust release.pub=release
        """)

    @Argument(help: ArgumentHelp("A folder ferry build wrote, or s3://BUCKET/PREFIX/releases/PIPELINE/VERSION.",
                                 valueName: "bundle-dir|s3-uri"))
    var target: String

    @Option(help: ArgumentHelp("A trusted public key and its roles, FILE.pub=ROLE[,ROLE] (repeat).", valueName: "file"))
    var trust: [String] = []

    @OptionGroup var aws: AWSOptions

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if trust.isEmpty { throw ValidationError("give at least one --trust KEY.pub=builder: the builder's public key") }
    }

    func run() throws {
        let store = try KeyFiles.trust(trust)
        let scratch = NSTemporaryDirectory() + "/ferry-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result: VerifiedRelease
        if target.hasPrefix("s3://") {
            let (name, prefix, pipeline, version) = try ReleaseVerifier.parse(uri: target)
            let bucket = SharedBucket(s3: S3(config: try aws.config()), name: name, layout: BucketLayout(prefix: prefix))
            result = try ReleaseVerifier.verify(bucket: bucket, pipeline: pipeline, version: version,
                                                trust: store, scratch: scratch)
        } else {
            result = try ReleaseVerifier.verify(folder: BuildFolder(target), trust: store, scratch: scratch)
        }
        for check in result.checks { Output.note("ferry: ok  \(check)") }
        let manifest = result.manifest
        if json {
            try Output.printJSON([
                "pipeline": manifest.pipeline, "version": manifest.version.description, "verified": true,
                "bundleSha256": result.bundleSha256, "manifestSha256": result.manifestSha256, "checks": result.checks,
            ])
        } else {
            print("verified \(manifest.pipeline) \(manifest.version) (bundle sha256 \(result.bundleSha256))")
        }
    }
}
