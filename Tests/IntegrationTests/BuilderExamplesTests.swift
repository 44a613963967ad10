import AWS
import Bucket
import Builder
import Foundation
import Manifest
import TestSupport
import Testing

/// The example pipelines (pipelines/dropzone.yaml, pipelines/ingest.yaml) with their real
/// tests (python3 unittest) released to moto and verified from the bucket.
@Suite struct BuilderExamplesTests {
    /// A fresh repository holding a copy of the project's pipelines/ and examples/.
    static func examplesRepository() throws -> GitFixture {
        let fixture = try GitFixture("ferry-examples")
        let root = TestEnvironment.packageRoot
        for folder in ["pipelines", "examples"] {
            try FileManager.default.copyItem(atPath: root + "/" + folder, toPath: fixture.path + "/" + folder)
        }
        // Leftovers of local runs are not part of the examples.
        try fixture.write(".gitignore", "__pycache__/\n")
        try fixture.commitAll("Examples")
        return fixture
    }

    @Test(arguments: [("dropzone", 1), ("ingest", 3)])
    func anExamplePipelineReleasesAndVerifies(name: String, codeArtifacts: Int) throws {
        let git = try Self.examplesRepository()
        let definition = try PipelineDefinition.load(file: "pipelines/\(name).yaml", repositoryRoot: git.path)
        let scratch = try TemporaryDirectory()
        let config = try AWSTestConfig.make()
        let bucket = try ReleaseFixture.makeBucket(S3(config: config))
        let request = BuildRequest(
            repository: git.path, pipeline: name, output: scratch.url("out"), bucket: bucket.name,
            objectURLBase: try ArtifactLocation.urlBase(for: config),
            cache: try ArtifactCache(folder: scratch.url("cache")), key: ReleaseFixture.builderKey)
        let result = try Releaser.release(request, version: try SemVer("1.0.0"), bucket: bucket, channel: "canary",
                                          writer: MotoPipeline.writer)
        let manifest = result.build.bundle.manifest
        #expect(manifest.stacks.map(\.name) == definition.deploymentOrder().map(\.name))
        #expect(manifest.tests.map(\.exitStatus) == [0])
        #expect(manifest.artifacts.count >= codeArtifacts)
        #expect(result.publish.pointer?.pointer.serial == 1)
        let verified = try ReleaseVerifier.verify(bucket: bucket, pipeline: name, version: try SemVer("1.0.0"),
                                                  trust: ReleaseFixture.trust, scratch: scratch.path)
        #expect(verified.bundleSha256 == result.build.bundle.bundleSha256)
        // The test output is in the bundle's tests.log, and the tests really ran.
        let log = try #require(manifest.files.first { $0.path == "tests.log" })
        #expect(log.size > 200)
    }
}
