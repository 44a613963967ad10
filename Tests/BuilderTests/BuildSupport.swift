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

    func build(ref: String = "HEAD", out: String = "out", cache: ArtifactCache? = nil,
               progress: BuildProgress = .silent) throws -> BuildResult {
        try ReleaseBuilder.build(request(ref: ref, out: out, cache: cache), progress: progress)
    }

    /// A file of a build folder.
    func bytes(_ out: String, _ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: scratch.url(out) + "/" + name))
    }
}

extension BuildResult {
    /// The packaged template of a stack, from the bundle's manifest entry and the zip.
    func template(_ stack: String) throws -> String {
        let path = bundle.manifest.stacks.first { $0.name == stack }!.template
        return try FerryProcess.run(program: "/usr/bin/unzip", ["-p", bundle.bundlePath, path]).check().stdout
    }
}

/// The notes a build printed, collected from its progress callbacks (any thread).
final class CollectedNotes: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var all: [String] { lock.withLock { lines } }
    var progress: BuildProgress { BuildProgress(note: { [self] line in lock.withLock { lines.append(line) } }) }
}
