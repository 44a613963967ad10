import Foundation
import Manifest
import TestSupport
@testable import Builder

/// Builds a fixture pipeline locally (no bucket is touched by a build).
struct LocalBuild {
    static let bucket = "ferry-test-releases"
    static let urlBase = "https://s3.eu-west-1.amazonaws.com"

    let fixture: PipelineFixture
    let scratch: TemporaryDirectory
    let cache: ArtifactCache

    init(_ fixture: PipelineFixture) throws {
        self.fixture = fixture
        scratch = try TemporaryDirectory("ferry-build-test")
        cache = try ArtifactCache(folder: scratch.url("cache"))
    }

    func request(ref: String = "HEAD", out: String = "out", cache: ArtifactCache? = nil,
                 planned: PlannedTag? = nil) -> BuildRequest {
        BuildRequest(repository: fixture.path, pipeline: fixture.name, ref: ref, output: scratch.url(out),
                     bucket: Self.bucket, objectURLBase: Self.urlBase, cache: cache ?? self.cache,
                     key: ReleaseFixture.builderKey, plannedTag: planned,
                     environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.path])
    }

    func build(ref: String = "HEAD", out: String = "out", cache: ArtifactCache? = nil) throws -> BuildResult {
        try ReleaseBuilder.build(request(ref: ref, out: out, cache: cache))
    }

    /// A file of a build folder.
    func bytes(_ out: String, _ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: scratch.url(out) + "/" + name))
    }
}

extension BuildResult {
    /// The packaged template of a stack, from the bundle's manifest entry and the zip.
    func template(_ stack: String) throws -> String {
        let scratch = try TemporaryDirectory("ferry-unzip")
        let path = bundle.manifest.stacks.first { $0.name == stack }!.template
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        process.arguments = ["-p", bundle.bundlePath, path]
        let out = scratch.url("out")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        try process.run()
        process.waitUntilExit()
        return try String(contentsOfFile: out, encoding: .utf8)
    }
}
