import AWS
import Bucket
import Fleet
import Foundation
import Manifest
import TestSupport

/// A fresh versioned bucket on the shared moto server with releases published by
/// ReleaseFixture (not the builder) and status reports written as agents would
/// (SharedBucket.putStatus, not the agent), plus a way to run the ferry binary on it.
final class FleetWorld {
    let bucket: SharedBucket
    let onCall: OnCall
    let dir: TemporaryDirectory
    let endpoint: String
    static let pipeline = "webapp"
    static let template = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"

    init() throws {
        endpoint = try TestEnvironment.motoEndpoint()
        bucket = try ReleaseFixture.makeBucket(S3(config: try AWSTestConfig.make()))
        onCall = OnCall(bucket: bucket)
        dir = try TemporaryDirectory("ferry-fleet")
    }

    /// Publishes `version` and, with a channel, moves it there (signed by the release key).
    @discardableResult
    func publish(_ version: String, channel: String? = nil) throws -> ReleaseRef {
        try ReleaseFixture.publish(to: bucket, pipeline: Self.pipeline, version: version,
                                   stacks: [.init(name: "app", template: Self.template)], channel: channel,
                                   in: dir.path)
    }

    /// Moves `channel` to an already published `version`, as `ferry release` would.
    func point(_ channel: String, to version: String, reason: String? = nil) throws {
        let release = try bucket.release(pipeline: Self.pipeline, version: try SemVer(version))
        _ = try bucket.moveChannel(pipeline: Self.pipeline, channel: channel, to: release,
                                   reason: reason ?? "publish \(version)", key: ReleaseFixture.releaseKey, now: Date())
    }

    /// Writes a silo's status report, `age` seconds old.
    func report(_ silo: String, channel: String, state: StatusReport.State = .inSync, target: String?,
                applied: String?, age: Double = 0, interval: Int = 30, pinned: Bool = false, serial: Int? = nil,
                error: StatusReport.Failure? = nil) throws {
        let failure = error ?? ((state == .failed || state == .refused)
            ? StatusReport.Failure(code: "UPDATE_ROLLBACK_COMPLETE", message: "stack app failed and was rolled back",
                                   resource: "app")
            : nil)
        try bucket.putStatus(StatusReport(
            pipeline: Self.pipeline, silo: silo, channel: channel, pinned: pinned, target: try target.map(SemVer.init),
            applied: try applied.map(SemVer.init), state: state, error: failure,
            reportedAt: Timestamp.format(Date().addingTimeInterval(-age)), intervalSeconds: interval,
            targetSerial: serial))
    }

    /// The channel's pointer, opened with the fixture's trust store (signature checked).
    func pointer(_ channel: String) throws -> ChannelPointer {
        let data = try bucket.require(key: try bucket.layout.channel(pipeline: Self.pipeline, channel: channel),
                                      cap: SizeCap.pointer, what: "pointer")
        return try openPointer(bytes: data, trust: ReleaseFixture.trust, now: Date())
    }

    /// How many versions the channel's pointer object has: one per write.
    func writes(_ channel: String) throws -> Int {
        try bucket.versions(of: try bucket.layout.channel(pipeline: Self.pipeline, channel: channel)).count
    }

    /// A private key file for `key`, mode 0600.
    func keyFile(_ key: SigningKey, name: String) throws -> String {
        let path = try dir.write("\(name).key", key.fileContents)
        chmod(path, 0o600)
        return path
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The environment the ferry binary runs in: moto's endpoint, dummy keys, this bucket.
    var environment: [String: String] {
        ["HOME": dir.path, "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint, "FERRY_BUCKET": bucket.name]
    }

    /// Starts `ferry arguments...`; `finish` waits for it. Output goes to files (no pipe to fill).
    func start(_ arguments: [String]) throws -> (Process, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.ferryBinary())
        process.arguments = arguments
        process.environment = environment
        let out = dir.url("out-\(UUID().uuidString)"), err = dir.url("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        return (process, out, err)
    }

    func finish(_ started: (Process, String, String)) throws -> Run {
        started.0.waitUntilExit()
        return Run(status: started.0.terminationStatus, stdout: try String(contentsOfFile: started.1, encoding: .utf8),
                   stderr: try String(contentsOfFile: started.2, encoding: .utf8))
    }

    func ferry(_ arguments: String...) throws -> Run { try finish(try start(arguments)) }
}
