import Archive
import Foundation
import Git
import Manifest
import TestSupport
import Testing
@testable import Builder

/// `ReleaseBuilder.build` on git fixtures: what the bundle holds, where it comes from,
/// and the cache that makes a re-build zip nothing.
@Suite struct BuildTests {
    @Test func theBundleHoldsThePackagedStacksInDeploymentOrderAndVerifies() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        let result = try build.build()
        let manifest = result.bundle.manifest
        #expect(manifest.pipeline == "webapp")
        #expect(manifest.createdAt == "2023-11-14T22:13:20Z")  // the commit time, 1_700_000_000
        #expect(manifest.stacks.map(\.name) == ["webapp-storage", "webapp-api"])
        #expect(manifest.stacks[1].capabilities == ["CAPABILITY_IAM"])
        #expect(manifest.stacks[1].dependsOn == ["webapp-storage"])
        #expect(manifest.files.map(\.path) == ["parameters/webapp-api.json", "parameters/webapp-storage.json",
                                               "templates/webapp-api.yaml", "templates/webapp-storage.yaml", "tests.log"])
        // Two code zips and the packaged nested template, each under its own digest.
        #expect(manifest.artifacts.count == 3)
        for artifact in manifest.artifacts {
            #expect(artifact.key == "ferry/artifacts/sha256/" + artifact.sha256)
            let object = try ArtifactCache.digest(ofFile: build.cache.path(of: artifact.sha256))
            #expect(object == StoredObject(sha256: artifact.sha256, size: artifact.size))
        }
        let api = try result.template("webapp-api")
        let codeKeys = manifest.artifacts.map(\.key).filter { api.contains("S3Key: \($0)") }
        #expect(codeKeys.count == 1)
        #expect(api.contains("S3Bucket: \(LocalBuild.bucket)"))
        #expect(api.contains("TemplateURL: \(LocalBuild.urlBase)/\(LocalBuild.bucket)/ferry/artifacts/sha256/"))
        #expect(api.contains("Fn::GetAtt:"))
        // The code zip holds the folder's files, the script still executable.
        let codeSha = String(codeKeys[0].split(separator: "/").last!)
        let entries = try listEntries(zip: build.cache.path(of: codeSha))
        #expect(entries.map(\.name) == ["data.bin", "handler.py", "run.sh"])
        #expect(entries.first { $0.name == "run.sh" }?.executable == true)

        let verifyScratch = try TemporaryDirectory()
        let verified = try ReleaseVerifier.verify(folder: result.folder, trust: ReleaseFixture.trust,
                                                  scratch: verifyScratch.path)
        #expect(verified.bundleSha256 == result.bundle.bundleSha256)
        #expect(try build.bytes("out", "manifest.json") == result.bundle.manifestBytes)
        let list = try CanonicalJSON.decode(BuildFolder.Artifacts.self, from: try build.bytes("out", "artifacts.json"),
                                            cap: 1 << 20, what: "list")
        #expect(list.bucket == LocalBuild.bucket && list.prefix == "ferry/")
        #expect(list.artifacts.map(\.key) == manifest.artifacts.map(\.key))
    }

    @Test func uncommittedEditsAndTheWorkingTreesDefinitionNeverShip() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        let cleanNotes = CollectedNotes()
        let clean = try build.build(out: "clean", progress: cleanNotes.progress)
        #expect(cleanNotes.all.isEmpty, "\(cleanNotes.all)")
        // Edit a committed file, add an untracked one, and change the definition, uncommitted.
        try fixture.git.write("app/src/fn/handler.py", "raise SystemExit('uncommitted')\n")
        try fixture.git.write("app/src/fn/untracked.py", "secret = 1\n")
        try fixture.git.write("pipelines/webapp.yaml", PipelineFixture.definition(name: "webapp", tests: [])
            .replacingOccurrences(of: "Stage: prod", with: "Stage: dirty"))
        let dirtyNotes = CollectedNotes()
        let dirty = try build.build(out: "dirty", cache: try ArtifactCache(folder: build.scratch.url("cache2")),
                                    progress: dirtyNotes.progress)
        // They are not shipped, and the build says so (it used to ignore them without a word).
        let note = try #require(dirtyNotes.all.first { $0.hasPrefix("uncommitted changes are not in this build") })
        #expect(note.contains("app/src/fn/") && note.contains("and 2 more"), "\(note)")
        #expect(note.contains("commit them and build again"))
        #expect(dirty.bundle.bundleSha256 == clean.bundle.bundleSha256)
        #expect(dirty.bundle.manifestBytes == clean.bundle.manifestBytes)
        #expect(dirty.bundle.manifest.stacks[0].parameters == ["Stage": "prod"])
    }

    @Test func aBuildThatLeavesTheStatusRunningGivesItsNoteWhenAsked() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        try fixture.git.write("app/src/fn/handler.py", "raise SystemExit('uncommitted')\n")
        let notes = CollectedNotes()
        // As `ferry release` builds: the status runs on beside the uploads and the publish.
        let result = try ReleaseBuilder.build(build.request(out: "deferred"), progress: notes.progress, deferringNote: true)
        #expect(!notes.all.contains { $0.hasPrefix("uncommitted changes") }, "\(notes.all)")
        result.noteUncommitted(notes.progress)
        let note = try #require(notes.all.first { $0.hasPrefix("uncommitted changes are not in this build") })
        #expect(note.contains("app/src/fn/handler.py"), "\(note)")
    }

    @Test func aRebuildZipsNothingAndGivesTheSameBytes() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        let first = try build.build(out: "one")
        #expect(first.zippedFolders == 2 && first.reusedFolders == 0)
        let second = try build.build(out: "two")
        #expect(second.zippedFolders == 0 && second.reusedFolders == 2)
        #expect(second.bundle.bundleSha256 == first.bundle.bundleSha256)
        #expect(second.bundle.signature == first.bundle.signature)

        // A new commit that changes one code folder zips that folder only.
        try fixture.commit("app/src/worker/worker.py", "def work(event, context):\n    return 2\n")
        let third = try build.build(out: "three")
        #expect(third.zippedFolders == 1 && third.reusedFolders == 1)
        #expect(third.bundle.manifest.artifacts != first.bundle.manifest.artifacts)
    }

    @Test func aFolderHoldingCachedFoldersIsZippedWhole() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        _ = try build.build(out: "warm")  // caches src/fn and src/worker by tree id
        // Now a function packages the whole source folder, which holds the cached ones.
        try fixture.commit("app/api.yaml", PipelineFixture.apiTemplate
            .replacingOccurrences(of: "      Code: src/fn\n", with: "      Code: .\n"))
        let warm = try build.build(out: "after")
        let cold = try build.build(out: "cold", cache: try ArtifactCache(folder: build.scratch.url("cold-cache")))
        #expect(warm.bundle.bundleSha256 == cold.bundle.bundleSha256)
        #expect(warm.bundle.manifest.artifacts == cold.bundle.manifest.artifacts)
        let whole = try #require(cold.bundle.manifest.artifacts.max { $0.size < $1.size })
        #expect(try listEntries(zip: build.cache.path(of: whole.sha256)).map(\.name).contains("src/fn/data.bin"))
    }

    @Test func aTemplateOverTheInlineLimitIsAlsoAnArtifactNamedByItsDigest() throws {
        let fixture = try PipelineFixture()
        let padding = (0..<1200).map { "      Parameter\($0): {Type: String, Default: value-\($0)}\n" }.joined()
        try fixture.commit("app/storage.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Stage: {Type: String}\n"
            + "Resources:\n  Data:\n    Type: AWS::S3::Bucket\nMetadata:\n  Big:\n    Notes:\n" + padding)
        let build = try LocalBuild(fixture)
        let result = try build.build()
        let file = try #require(result.bundle.manifest.files.first { $0.path == "templates/webapp-storage.yaml" })
        #expect(file.size > PackagedTemplate.inlineLimit)
        #expect(result.bundle.manifest.artifacts.contains(
            Manifest.Artifact(key: "ferry/artifacts/sha256/" + file.sha256, size: file.size, sha256: file.sha256)))
        #expect(try ArtifactCache.digest(ofFile: build.cache.path(of: file.sha256)).sha256 == file.sha256)
    }

    @Test func aPathOutsideTheSourceFolderIsRefused() throws {
        let fixture = try PipelineFixture()
        try fixture.commit("secrets/key.txt", "do not ship\n")
        try fixture.commit("app/api.yaml", PipelineFixture.apiTemplate
            .replacingOccurrences(of: "Code: src/fn", with: "Code: ../secrets"))
        let build = try LocalBuild(fixture)
        let error = try #require(throws: BuildError.self) { try build.build() }
        #expect(error.code == .packaging)
        #expect(error.message.contains("outside the pipeline's source folder"))
        #expect(!FileManager.default.fileExists(atPath: build.scratch.url("out")))
    }

    @Test func aSubmoduleInTheSourceIsAClearError() throws {
        let fixture = try PipelineFixture()
        let id = try fixture.git.git("rev-parse", "HEAD")
        try fixture.git.git("update-index", "--add", "--cacheinfo", "160000,\(id),app/vendor")
        try fixture.git.git("commit", "-q", "-m", "add a submodule")
        let error = try #require(throws: BuildError.self) { try LocalBuild(fixture).build() }
        #expect(error.code == .source)
        #expect(error.message.contains("app/vendor is a git submodule"))
        #expect(error.message.contains("vendor the code"))
    }

    @Test func aMissingPipelineNamesTheOnesTheCommitHas() throws {
        let fixture = try PipelineFixture()
        let build = try LocalBuild(fixture)
        var request = build.request()
        request.pipeline = "webap"
        let error = try #require(throws: BuildError.self) { try ReleaseBuilder.build(request) }
        #expect(error.code == .pipeline)
        #expect(error.message.contains("has no pipelines/webap.yaml; its pipelines are: webapp"))
    }

    @Test func aFailingTestWritesNoBundle() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo nope; exit 1")])
        let build = try LocalBuild(fixture)
        let error = try #require(throws: BuildError.self) { try build.build() }
        #expect(error.code == .testFailed)
        #expect(!FileManager.default.fileExists(atPath: build.scratch.url("out")))
        // The cache keeps no working folders behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: build.cache.folder + "/tmp").isEmpty)
    }

    /// A template that cannot be packaged fails the build before the tests run (it used
    /// to be found only after them): the test below would leave a marker file.
    @Test func aBrokenTemplateFailsBeforeTheTestsRun() throws {
        let marker = try TemporaryDirectory()
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "touch \(marker.url("ran"))")])
        try fixture.commit("app/api.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            + "      Code: src/missing\n")
        let build = try LocalBuild(fixture)
        let error = try #require(throws: BuildError.self) { try build.build() }
        #expect(error.code == .packaging, "\(error)")
        #expect(error.message.contains("src/missing"), "\(error.message)")
        #expect(!FileManager.default.fileExists(atPath: marker.url("ran")), "the tests ran before the check")
        #expect(!FileManager.default.fileExists(atPath: build.scratch.url("out")))
    }

    @Test func testsRunOnTheirOwnCopySoWhatTheyWriteIsNotPackaged() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo junk > src/fn/__pycache__.pyc; echo ok")])
        let build = try LocalBuild(fixture)
        let result = try build.build()
        #expect(result.bundle.manifest.tests.map(\.exitStatus) == [0])
        #expect(result.bundle.manifest.tests.map(\.command) == ["echo junk > src/fn/__pycache__.pyc; echo ok"])
        // The code folders' zips (the other artifacts are templates, not zips).
        let zips = result.bundle.manifest.artifacts.compactMap { try? listEntries(zip: build.cache.path(of: $0.sha256)) }
        #expect(!zips.isEmpty, "no artifact zip to look into")
        for entries in zips {
            #expect(!entries.map(\.name).contains("__pycache__.pyc"))
        }
        let log = try #require(try extractFile(result.bundle.bundlePath, "tests.log"))
        #expect(log == "==> unit: echo junk > src/fn/__pycache__.pyc; echo ok\nok\n<== unit: exit status 0\n")
    }

    /// One file of a zip, unpacked.
    func extractFile(_ zip: String, _ name: String) throws -> String? {
        let folder = try TemporaryDirectory()
        let files = try extract(zip: zip, into: folder.url("x"))
        guard files.contains(where: { $0.path == name }) else { return nil }
        return try String(contentsOfFile: folder.url("x/" + name), encoding: .utf8)
    }
}
