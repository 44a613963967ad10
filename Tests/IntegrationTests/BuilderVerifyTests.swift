import AWS
import Basics
import Bucket
import Builder
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry verify` refuses what its builder did not sign.
@Suite struct BuilderVerifyTests {
    /// The bundle with one byte changed, at `offset` from the end of its first entry's data.
    static func flipOneByte(of path: String) throws -> Data {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Inside the first entry's compressed data (after the 30-byte local header and name).
        let nameLength = Int(bytes[26]) | Int(bytes[27]) << 8
        let extraLength = Int(bytes[28]) | Int(bytes[29]) << 8
        bytes[30 + nameLength + extraLength + 5] ^= 0x01
        return bytes
    }

    @Test func aBundleWithOneByteChangedIsRefusedOffline() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let built = try moto.build(out: "b")
        let bundle = built.folder.file(BuildFolder.bundle)
        try Self.flipOneByte(of: bundle).write(to: URL(fileURLWithPath: bundle))
        let scratch = try TemporaryDirectory()
        let error = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(folder: built.folder, trust: ReleaseFixture.trust, scratch: scratch.path)
        }
        #expect(error.code == .verification)
        #expect(error.message.contains("does not unpack to the signed files") || error.message.contains("was altered"))
        #expect(!FileManager.default.fileExists(atPath: scratch.url("unpacked")), "the refused bundle was left unpacked")
    }

    @Test func aReplacedBundleInTheBucketIsRefused() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let result = try moto.release("1.0.0")
        // Someone with write access replaces the bundle, recording the new bytes' digest.
        let key = try moto.bucket.layout.bundle(pipeline: "webapp", version: try SemVer("1.0.0"))
        let altered = try Self.flipOneByte(of: result.build.folder.file(BuildFolder.bundle))
        _ = try moto.bucket.store.putObject(bucket: moto.bucket.name, key: key, data: altered,
                                         options: S3.PutOptions(metadata: ["ferry-sha256": sha256Hex(altered)]))
        let scratch = try TemporaryDirectory()
        let error = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(bucket: moto.bucket, pipeline: "webapp", version: try SemVer("1.0.0"),
                                       trust: ReleaseFixture.trust, scratch: scratch.path)
        }
        #expect(error.code == .verification)
    }

    @Test func aManifestSignedByAnUntrustedKeyIsRefused() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let built = try moto.build(out: "b")
        let scratch = try TemporaryDirectory()
        let stranger = SigningKey.generate()
        let untrusted = TrustStore([(stranger.publicKey, Set(Role.allCases))])
        let error = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(folder: built.folder, trust: untrusted, scratch: scratch.path)
        }
        #expect(error.code == .verification)
        #expect(error.message.contains("signed only by keys this trust store does not hold"))
        // The builder's key trusted only to move channels is not enough either.
        let wrongRole = TrustStore([(ReleaseFixture.builderKey.publicKey, [.release])])
        let roleError = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(folder: built.folder, trust: wrongRole, scratch: scratch.path)
        }
        #expect(roleError.message.contains("needs a key trusted as builder"))
    }

    @Test func aMissingArtifactIsReported() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let result = try moto.release("1.0.0")
        let artifact = try #require(result.build.bundle.manifest.artifacts.first)
        for version in try moto.bucket.versions(of: artifact.key) {
            try moto.bucket.store.deleteObject(bucket: moto.bucket.name, key: artifact.key, versionId: version.versionId)
        }
        let scratch = try TemporaryDirectory()
        let error = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(bucket: moto.bucket, pipeline: "webapp", version: try SemVer("1.0.0"),
                                       trust: ReleaseFixture.trust, scratch: scratch.path)
        }
        #expect(error.message.contains("artifact \(artifact.key) is missing"))
    }

    @Test func aURIThatIsNotAReleaseIsExplained() {
        for uri in ["https://x/y", "s3://bucket/ferry/webapp/1.0.0", "s3://bucket/ferry/releases/webapp/one"] {
            #expect(throws: BuildError.self, "\(uri)") { try ReleaseVerifier.parse(uri: uri) }
        }
        let parsed = try? ReleaseVerifier.parse(uri: "s3://b/releases/p/1.0.0/")
        #expect(parsed?.prefix == "" && parsed?.pipeline == "p" && parsed?.version.description == "1.0.0")
    }
}
