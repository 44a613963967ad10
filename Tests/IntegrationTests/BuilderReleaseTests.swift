import AWS
import Bucket
import Builder
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry release` against moto: the tests gate, the tag, build metadata end to end.
@Suite struct BuilderReleaseTests {
    @Test(arguments: [
        (PipelineFixture.Test("unit", "echo failing; exit 4"), "failed with exit status 4"),
        (PipelineFixture.Test("slow", "sleep 30", timeout: 1), "ran longer than its timeout of 1s"),
    ])
    func aFailingOrTimedOutTestLeavesTheBucketUntouchedAndNoTag(test: PipelineFixture.Test, reason: String) throws {
        let moto = try MotoPipeline(try PipelineFixture(tests: [test]))
        let error = try #require(throws: BuildError.self) { try moto.release("1.0.0") }
        #expect(error.code == .testFailed)
        #expect(error.message.contains(reason))
        #expect(error.message.contains("nothing was published"))
        #expect(try moto.keys().isEmpty)
        #expect(try moto.tags().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: moto.scratch.url("release-1.0.0/bundle.zip")))
    }

    @Test func buildMetadataWorksEndToEnd() throws {
        let moto = try MotoPipeline(try PipelineFixture(tests: [PipelineFixture.Test("unit", "test -f storage.yaml")]))
        let result = try moto.release("1.2.0+build.7")
        #expect(result.createdTag == "v1.2.0+build.7")
        #expect(try moto.tags() == ["v1.2.0+build.7"])
        #expect(try moto.fixture.git.git("cat-file", "-t", "v1.2.0+build.7") == "tag")  // annotated
        let manifest = result.build.bundle.manifest
        #expect(manifest.version.description == "1.2.0+build.7")
        #expect(manifest.source.tag == "v1.2.0+build.7")
        #expect(manifest.source.subject == "Release 1.2.0+build.7 (ferry release webapp)")
        #expect(manifest.tests.map(\.name) == ["unit"])
        let keys = try moto.keys()
        for name in ["bundle.zip", "manifest.json", "manifest.sig"] {
            #expect(keys.contains("ferry/releases/webapp/1.2.0+build.7/\(name)"))
        }
        #expect(try moto.bucket.releases(pipeline: "webapp").map(\.description) == ["1.2.0+build.7"])
        let pointer = try #require(try moto.bucket.currentPointer(pipeline: "webapp", scope: .channel("canary"))).0
        #expect(pointer.release?.version.description == "1.2.0+build.7")
        #expect(pointer.release?.bundleSha256 == result.build.bundle.bundleSha256)

        let (name, prefix, pipeline, version) = try ReleaseVerifier.parse(
            uri: "s3://\(moto.bucket.name)/ferry/releases/webapp/1.2.0+build.7")
        #expect(name == moto.bucket.name && prefix == "ferry/" && pipeline == "webapp")
        let scratch = try TemporaryDirectory()
        let verified = try ReleaseVerifier.verify(bucket: moto.bucket, pipeline: pipeline, version: version,
                                                  trust: ReleaseFixture.trust, scratch: scratch.path)
        #expect(verified.bundleSha256 == result.build.bundle.bundleSha256)
        #expect(verified.checks.contains("bundle sha256 matches channel canary (serial 1, pointer signature valid)"))

        // Building the tag later gives the very same release (the test's duration aside).
        let rebuilt = try moto.build(ref: "v1.2.0+build.7", out: "rebuilt")
        #expect(rebuilt.bundle.manifest.source == manifest.source)
        #expect(rebuilt.bundle.manifest.artifacts == manifest.artifacts)
        #expect(rebuilt.bundle.manifest.files.filter { $0.path.hasPrefix("templates/") }
            == manifest.files.filter { $0.path.hasPrefix("templates/") })
    }

    @Test func aVersionTaggedOnAnotherCommitIsRefusedBeforeAnythingRuns() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "touch /nonexistent-dir/ran")])
        try fixture.git.git("tag", "-a", "v3.0.0", "-m", "old")
        try fixture.commit("app/storage.yaml", PipelineFixture.storageTemplate + "# changed\n")
        let moto = try MotoPipeline(fixture)
        let error = try #require(throws: BuildError.self) { try moto.release("3.0.0") }
        #expect(error.code == .tag)
        #expect(error.message.contains("tag v3.0.0 already exists on commit"))
        #expect(try moto.keys().isEmpty)
    }

    @Test func releasingAgainWithTheSameVersionReusesTheTagAndChangesNothing() throws {
        let moto = try MotoPipeline(try PipelineFixture())
        let first = try moto.release("1.0.0")
        let second = try moto.release("1.0.0")
        #expect(second.createdTag == nil)
        #expect(second.build.bundle.bundleSha256 == first.build.bundle.bundleSha256)
        #expect(second.publish.written.isEmpty)
        #expect(try moto.pointerSerials() == [1])
    }
}
