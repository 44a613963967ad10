import AWS
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// The `ferry` binary as a process: exit status, the final stdout line, reproducibility
/// across folders, times, time zones and umasks.
@Suite struct BuilderCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Runs `ferry arguments...` through `/bin/sh` with `umask` and extra environment.
    static func ferry(_ arguments: [String], umask: String = "022", environment: [String: String] = [:],
                      in folder: String? = nil) throws -> Run {
        let scratch = try TemporaryDirectory("ferry-cli")
        let out = scratch.url("stdout"), err = scratch.url("stderr")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", try TestEnvironment.ferryBinary()] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: try String(contentsOfFile: out, encoding: .utf8),
                   stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    static func keyFiles(in directory: TemporaryDirectory) throws -> (key: String, pub: String) {
        let key = try directory.write("ferry.key", ReleaseFixture.builderKey.fileContents)
        chmod(key, 0o600)
        let pub = try directory.write("ferry.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        return (key, pub)
    }

    static func sha256(_ path: String) throws -> String { sha256Hex(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func twoBuildsOfOneTagInDifferentFoldersTimesZonesAndUmasksAreIdentical() throws {
        let fixture = try PipelineFixture()
        try fixture.git.git("tag", "-a", "v1.0.0", "-m", "First")
        let elsewhere = try TemporaryDirectory("ferry-clone")
        try GitFixture.run(["clone", "-q", fixture.path, elsewhere.url("somewhere/else")])
        let files = try TemporaryDirectory()
        let (key, _) = try Self.keyFiles(in: files)
        // The second build runs in another folder, with relative paths.
        func build(repo: String, out: String, cache: String, umask: String, zone: String, in folder: String) throws -> Run {
            try Self.ferry(["build", "webapp", "--ref", "v1.0.0", "--repo", repo, "--key", key, "--bucket", "releases",
                            "--out", out, "--cache-dir", cache, "--region", "eu-west-1",
                            "--endpoint-url", "https://s3.eu-west-1.amazonaws.com"],
                           umask: umask, environment: ["TZ": zone], in: folder)
        }
        let one = try build(repo: fixture.path, out: files.url("one"), cache: files.url("cache-one"), umask: "022",
                            zone: "UTC", in: "/")
        #expect(one.status == 0, "\(one.stderr)")
        Thread.sleep(forTimeInterval: 1.1)
        let two = try build(repo: "somewhere/else/app", out: "../" + URL(fileURLWithPath: files.path).lastPathComponent + "/two",
                            cache: "cache-two", umask: "077", zone: "Asia/Kathmandu", in: elsewhere.path)
        #expect(two.status == 0, "\(two.stderr)")
        for name in ["bundle.zip", "manifest.json", "manifest.sig"] {
            #expect(try Self.sha256(files.url("one/\(name)")) == (try Self.sha256(files.url("two/\(name)"))), "\(name)")
        }
        let bundle = try Self.sha256(files.url("one/bundle.zip"))
        #expect(one.lastLine == "built webapp 1.0.0 bundle sha256 \(bundle) in \(files.url("one"))")
        #expect(one.stderr.contains("ferry: package"))
    }

    @Test func releaseThenVerifyFromTheBucketAsProcesses() throws {
        let fixture = try PipelineFixture(tests: [PipelineFixture.Test("unit", "echo testing-output")])
        let moto = try MotoPipeline(fixture)
        let files = try TemporaryDirectory()
        let (key, pub) = try Self.keyFiles(in: files)
        let endpoint = try TestEnvironment.motoEndpoint()
        let common = ["--bucket", moto.bucket.name, "--endpoint-url", endpoint, "--region", "us-east-1"]
        let release = try Self.ferry(["release", "webapp", "2.0.0", "--channel", "canary", "--key", key, "--repo",
                                      fixture.path, "--cache-dir", files.url("cache")] + common)
        #expect(release.status == 0, "\(release.stderr)")
        let ref = try moto.bucket.release(pipeline: "webapp", version: try SemVer("2.0.0"))
        #expect(release.lastLine == "published webapp 2.0.0 (bundle sha256 \(ref.bundleSha256)) to "
            + "s3://\(moto.bucket.name)/ferry/releases/webapp/2.0.0/; channel canary -> serial 1")
        for phase in ["export", "tests", "package", "bundle", "upload", "pointer"] {
            #expect(release.stderr.contains("ferry: \(phase)"), "no \(phase) line")
        }
        #expect(release.stderr.contains("  unit | testing-output"))
        #expect(try moto.tags() == ["v2.0.0"])

        let uri = "s3://\(moto.bucket.name)/ferry/releases/webapp/2.0.0"
        let verify = try Self.ferry(["verify", uri, "--trust", pub, "--endpoint-url", endpoint, "--region", "us-east-1"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.lastLine == "verified webapp 2.0.0 (bundle sha256 \(ref.bundleSha256))")

        let stranger = try files.write("stranger.pub", SigningKey.generate().publicKey.fileContents)
        let refused = try Self.ferry(["verify", uri, "--trust", stranger, "--endpoint-url", endpoint,
                                      "--region", "us-east-1"])
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("does not hold"))
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
