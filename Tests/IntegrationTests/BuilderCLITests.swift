import AWS
import Basics
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// The `ferry` binary as a process: exit status, the final stdout line, reproducibility
/// across folders, times, time zones and umasks.
@Suite struct BuilderCLITests {
    /// Runs `ferry arguments...` with `umask` and extra environment.
    static func ferry(_ arguments: [String], umask: String = "022", environment: [String: String] = [:],
                      in folder: String? = nil) throws -> FerryRun {
        try FerryProcess.run(arguments, adding: environment, folder: folder, umask: umask)
    }

    static func keyFiles(in directory: TemporaryDirectory) throws -> (key: String, pub: String) {
        let key = try directory.write("ferry.key", ReleaseFixture.builderKey.fileContents)
        chmod(key, 0o600)
        let pub = try directory.write("ferry.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        return (key, pub)
    }

    static func sha256(_ path: String) throws -> String { sha256Hex(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// A pipeline whose test prints the time (a fresh run gives another tests.log) and
    /// appends a line to `runs` outside the repository (to count its runs).
    static func timedTestFixture(counter: TemporaryDirectory) throws -> PipelineFixture {
        try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo run >> \(counter.url("runs")); date +%s%N")])
    }

    static func runs(_ counter: TemporaryDirectory) -> Int {
        ((try? String(contentsOfFile: counter.url("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func twoBuildsOfOneTagWithTestsInDifferentFoldersTimesZonesAndUmasksAreIdentical() throws {
        let counter = try TemporaryDirectory("ferry-runs")
        let fixture = try Self.timedTestFixture(counter: counter)
        try fixture.git.git("tag", "-a", "v1.0.0", "-m", "First")
        let elsewhere = try TemporaryDirectory("ferry-clone")
        try GitFixture.run(["clone", "-q", fixture.path, elsewhere.url("somewhere/else")])
        let files = try TemporaryDirectory()
        let (key, _) = try Self.keyFiles(in: files)
        let filesName = URL(fileURLWithPath: files.path).lastPathComponent
        // The second build runs in another folder, with relative paths (the same cache).
        func build(repo: String, out: String, cache: String, umask: String, zone: String, in folder: String,
                   retest: Bool = false) throws -> FerryRun {
            try Self.ferry(["build", "webapp", "--ref", "v1.0.0", "--repo", repo, "--key", key, "--bucket", "releases",
                            "--out", out, "--cache-dir", cache, "--region", "eu-west-1",
                            "--endpoint-url", "https://s3.eu-west-1.amazonaws.com"] + (retest ? ["--retest"] : []),
                           umask: umask, environment: ["TZ": zone], in: folder)
        }
        let one = try build(repo: fixture.path, out: files.url("one"), cache: files.url("cache"), umask: "022",
                            zone: "UTC", in: "/")
        #expect(one.status == 0, "\(one.stderr)")
        Thread.sleep(forTimeInterval: 1.1)
        let two = try build(repo: "somewhere/else/app", out: "../\(filesName)/two", cache: "../\(filesName)/cache",
                            umask: "077", zone: "Asia/Kathmandu", in: elsewhere.path)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(Self.runs(counter) == 1, "the second build ran the test again")
        for name in ["bundle.zip", "manifest.json", "manifest.sig"] {
            #expect(try Self.sha256(files.url("one/\(name)")) == (try Self.sha256(files.url("two/\(name)"))), "\(name)")
        }
        let bundle = try Self.sha256(files.url("one/bundle.zip"))
        #expect(one.lastLine == "built webapp 1.0.0 bundle sha256 \(bundle) in \(files.url("one"))")
        #expect(one.stderr.contains("ferry: package"))
        #expect(!one.stderr.contains("recorded"))
        let tree = try fixture.git.git("rev-parse", "v1.0.0^{tree}")
        #expect(two.stderr.contains("ferry: tests: unit passed (recorded "))
        #expect(two.stderr.contains(" for tree \(tree.prefix(12)); --retest runs it again)"))

        // A fresh cache (zipping everything again, under another umask and zone) runs
        // the test again: only tests.log and the test's duration may differ.
        let three = try build(repo: fixture.path, out: files.url("three"), cache: files.url("cache-three"), umask: "077",
                              zone: "America/St_Johns", in: "/")
        #expect(three.status == 0, "\(three.stderr)")
        #expect(Self.runs(counter) == 2)
        let first = try Self.manifest(files.url("one")), third = try Self.manifest(files.url("three"))
        #expect(first.artifacts == third.artifacts)
        #expect(first.files.filter { $0.path != "tests.log" } == third.files.filter { $0.path != "tests.log" })
        #expect(first.files.filter { $0.path == "tests.log" } != third.files.filter { $0.path == "tests.log" })
    }

    static func manifest(_ folder: String) throws -> Manifest {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        return try CanonicalJSON.decode(Manifest.self, from: bytes, cap: SizeCap.manifest, what: "the manifest")
    }

    @Test func aReleaseAfterABuildOfTheCommitRunsTheTestsOnceAndRetestRunsThemAgain() throws {
        let counter = try TemporaryDirectory("ferry-runs")
        let fixture = try Self.timedTestFixture(counter: counter)
        let moto = try MotoPipeline(fixture)
        let files = try TemporaryDirectory()
        let (key, _) = try Self.keyFiles(in: files)
        let common = ["--key", key, "--repo", fixture.path, "--cache-dir", files.url("cache"), "--bucket", moto.bucket.name,
                      "--endpoint-url", try TestEnvironment.motoEndpoint(), "--region", "us-east-1"]
        let build = try Self.ferry(["build", "webapp", "--out", files.url("built")] + common)
        #expect(build.status == 0, "\(build.stderr)")
        let release = try Self.ferry(["release", "webapp", "1.0.0"] + common)
        #expect(release.status == 0, "\(release.stderr)")
        #expect(Self.runs(counter) == 1)
        #expect(release.stderr.contains("ferry: tests: unit passed (recorded "))
        #expect(!release.stderr.contains("  unit | "), "test output printed as if it ran")
        let published = try moto.bucket.require(key: moto.bucket.layout.manifest(pipeline: "webapp", version: SemVer("1.0.0")),
                                                cap: SizeCap.manifest, what: "the manifest")
        let releasedTests = try CanonicalJSON.decode(Manifest.self, from: published, cap: SizeCap.manifest, what: "manifest").tests
        #expect(try Self.manifest(files.url("built")).tests == releasedTests)

        let again = try Self.ferry(["build", "webapp", "--retest", "--out", files.url("again")] + common)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.runs(counter) == 2)
        #expect(again.stderr.contains("  unit | "))
        #expect(!again.stderr.contains("recorded"))
        #expect(again.stderr.contains("ferry: export"))
    }

    @Test func releaseThenVerifyFromTheBucketAsProcesses() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo testing-output")])
        let moto = try MotoPipeline(fixture)
        let files = try TemporaryDirectory()
        let (key, pub) = try Self.keyFiles(in: files)
        let endpoint = try TestEnvironment.motoEndpoint()
        let common = ["--bucket", moto.bucket.name, "--endpoint-url", endpoint, "--region", "us-east-1"]
        // Without the agents' trust list, nothing is built, tagged or uploaded.
        let untrusted = try Self.ferry(["release", "webapp", "2.0.0", "--channel", "canary", "--key", key, "--repo",
                                        fixture.path, "--cache-dir", files.url("cache")] + common)
        #expect(untrusted.status != 0 && untrusted.stderr.contains("no trusted keys"), "\(untrusted.stderr)")
        let noRoles = try Self.ferry(["release", "webapp", "2.0.0", "--channel", "canary", "--key", key, "--trust", pub,
                                      "--repo", fixture.path, "--cache-dir", files.url("cache")] + common)
        #expect(noRoles.status == 64 && noRoles.stderr.contains("names no role: write --trust \(pub)=ROLE[,ROLE]"),
                "\(noRoles.stderr)")
        // A key the agents hold only as builder would burn the version: refused before the build and the tag.
        let builderOnly = try Self.ferry(["release", "webapp", "2.0.0", "--channel", "canary", "--key", key,
                                          "--trust", pub + "=builder", "--repo", fixture.path, "--cache-dir",
                                          files.url("cache")] + common)
        #expect(builderOnly.status != 0 && builderOnly.stderr.contains("trusted only as builder"), "\(builderOnly.stderr)")
        #expect(try moto.keys().isEmpty)
        #expect(try moto.tags().isEmpty)
        // An untracked file is not shipped, and the release says so once it is done.
        try fixture.git.write("app/src/fn/untracked.py", "x = 1\n")
        let release = try Self.ferry(["release", "webapp", "2.0.0", "--channel", "canary", "--key", key, "--trust",
                                      pub + "=builder,release", "--repo", fixture.path, "--cache-dir",
                                      files.url("cache")] + common)
        #expect(release.status == 0, "\(release.stderr)")
        let ref = try moto.bucket.release(pipeline: "webapp", version: try SemVer("2.0.0"))
        #expect(release.lastLine == "published webapp 2.0.0 (bundle sha256 \(ref.bundleSha256)) to "
            + "s3://\(moto.bucket.name)/ferry/releases/webapp/2.0.0/; channel canary -> serial 1")
        for phase in ["export", "tests", "package", "bundle", "upload", "pointer"] {
            #expect(release.stderr.contains("ferry: \(phase)"), "no \(phase) line")
        }
        #expect(release.stderr.contains("  unit | testing-output"))
        let pointerLine = try #require(release.stderr.range(of: "ferry: pointer"))
        let note = try #require(release.stderr.range(of: "uncommitted changes are not in this build (app/src/fn/untracked.py)"),
                                "\(release.stderr)")
        #expect(note.lowerBound > pointerLine.lowerBound)
        #expect(try moto.tags() == ["v2.0.0"])

        let uri = "s3://\(moto.bucket.name)/ferry/releases/webapp/2.0.0"
        let verify = try Self.ferry(["verify", uri, "--trust", pub + "=builder,release", "--endpoint-url", endpoint, "--region", "us-east-1"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.lastLine == "verified webapp 2.0.0 (bundle sha256 \(ref.bundleSha256))")

        let stranger = try files.write("stranger.pub", SigningKey.generate().publicKey.fileContents)
        let refused = try Self.ferry(["verify", uri, "--trust", stranger + "=builder", "--endpoint-url", endpoint,
                                      "--region", "us-east-1"])
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("does not hold"))
    }

    /// A release without --out uploads its code zips from memory (none lands in the
    /// cache); the next release from that cache to another bucket reuses the folders'
    /// records and makes each zip again, byte for byte, for the bucket that lacks it.
    @Test func aScratchReleaseUploadsZipsFromMemoryAndAnotherBucketGetsTheSameBytes() throws {
        let fixture = try PipelineFixture()
        let first = try MotoPipeline(fixture)
        let second = try MotoPipeline(fixture)
        let files = try TemporaryDirectory()
        let (key, pub) = try Self.keyFiles(in: files)
        func release(_ version: String, to moto: MotoPipeline) throws -> FerryRun {
            try Self.ferry(["release", "webapp", version, "--channel", "canary", "--new-channel", "--key", key, "--trust",
                            pub + "=builder,release", "--repo", fixture.path, "--cache-dir", files.url("cache"),
                            "--bucket", moto.bucket.name, "--endpoint-url", try TestEnvironment.motoEndpoint(),
                            "--region", "us-east-1"])
        }
        func artifacts(_ moto: MotoPipeline) throws -> [String: String] {
            var digests: [String: String] = [:]
            for object in try moto.bucket.list(prefix: moto.bucket.layout.prefix + "artifacts/") {
                digests[object.key] = sha256Hex(try moto.bucket.require(key: object.key, cap: 1 << 30, what: "an artifact"))
            }
            return digests
        }
        let one = try release("1.0.0", to: first)
        #expect(one.status == 0, "\(one.stderr)")
        let uploaded = try artifacts(first)
        #expect(!uploaded.isEmpty)
        for (key, digest) in uploaded { #expect(key.hasSuffix(digest), "an artifact's key names its bytes") }
        // Each folder zipped went to the bucket only; the rest (a nested template) is in the cache too.
        let zipped = try #require(one.stderr.firstMatch(of: /\((\d+) folders zipped, 0 from the cache\)/).map { Int($0.1)! })
        let cached = Set((try? FileManager.default.contentsOfDirectory(atPath: files.url("cache") + "/objects")) ?? [])
        #expect(zipped >= 1 && uploaded.values.filter { !cached.contains($0) }.count == zipped, "\(cached)")

        let two = try release("1.0.0", to: second)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("(0 folders zipped, 0 from the cache, \(zipped) zipped by an earlier release)"),
                "\(two.stderr)")
        #expect(two.stderr.components(separatedBy: "its folder was zipped again from the commit").count - 1 == zipped)
        // The code zips are the same objects (a nested template names its bucket: it differs).
        let cachedNow = Set((try? FileManager.default.contentsOfDirectory(atPath: files.url("cache") + "/objects")) ?? [])
        let codeZips = { (digests: [String: String]) in digests.filter { !cachedNow.contains($0.value) } }
        #expect(codeZips(uploaded).count == zipped)
        #expect(codeZips(try artifacts(second)) == codeZips(uploaded))
    }

    @Test func aFailingReleaseExitsNonZeroWithTheReason() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo boom >&2; exit 2")])
        let moto = try MotoPipeline(fixture)
        let files = try TemporaryDirectory()
        let (key, _) = try Self.keyFiles(in: files)
        let run = try Self.ferry(["release", "webapp", "1.0.0", "--key", key, "--repo", fixture.path, "--cache-dir",
                                  files.url("cache"), "--bucket", moto.bucket.name, "--endpoint-url",
                                  try TestEnvironment.motoEndpoint(), "--region", "us-east-1"])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("  unit | boom"))
        #expect(run.stderr.contains("test 'unit' failed with exit status 2; nothing was published"))
        #expect(try moto.keys().isEmpty)
        #expect(try moto.tags().isEmpty)
    }
}
