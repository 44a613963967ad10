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
        trust = [
            try dir.write("builder.pub", ReleaseFixture.builderKey.publicKey.fileContents) + "=builder",
            try dir.write("release.pub", ReleaseFixture.releaseKey.publicKey.fileContents) + "=release",
            try dir.write("oncall.pub", ReleaseFixture.oncallKey.publicKey.fileContents) + "=oncall",
        ]
    }

    /// The agents' `--trust` list (ReleaseFixture.trust as files), given to every command as FERRY_TRUST.
    let trust: [String]

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
        try ReleaseFixture.move(bucket, pipeline: Self.pipeline, channel: channel, to: release,
                                reason: reason ?? "publish \(version)")
    }

    /// Writes a silo's status report, `age` seconds old.
    func report(_ silo: String, channel: String, state: StatusReport.State = .inSync, target: String?,
                applied: String?, age: Double = 0, interval: Int = 30, pinned: Bool = false, serial: Int? = nil,
                error: StatusReport.Failure? = nil, wave: Int? = nil, drift: StatusReport.Drift? = nil) throws {
        let failure = error ?? ((state == .failed || state == .refused)
            ? StatusReport.Failure(code: "UPDATE_ROLLBACK_COMPLETE", message: "stack app failed and was rolled back",
                                   resource: "app")
            : nil)
        try bucket.putStatus(StatusReport(
            pipeline: Self.pipeline, silo: silo, channel: channel, pinned: pinned, target: try target.map { try SemVer($0) },
            applied: try applied.map { try SemVer($0) }, state: state, error: failure,
            reportedAt: Timestamp.format(Date().addingTimeInterval(-age)), intervalSeconds: interval,
            targetSerial: serial, wave: wave).with(drift: drift))
    }

    /// The channel's pointer, opened with the fixture's trust store (signature checked).
    func pointer(_ channel: String) throws -> Pointer {
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

    /// The environment the ferry binary runs in: moto's endpoint, dummy keys, this bucket.
    var environment: [String: String] {
        ["HOME": dir.path, "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint, "FERRY_BUCKET": bucket.name,
         "FERRY_TRUST": trust.joined(separator: " ")]
    }

    /// Runs `ferry arguments...` in this world's environment.
    func ferry(_ arguments: String...) throws -> FerryRun { try ferry(arguments) }

    func ferry(_ arguments: [String]) throws -> FerryRun { try FerryProcess.run(arguments, environment: environment) }

    /// Starts `ferry arguments...`; `wait()` collects it.
    func start(_ arguments: [String]) throws -> FerryProcess { try FerryProcess.start(arguments, environment: environment) }
}

extension StatusReport {
    /// This report with a drift section.
    func with(drift: StatusReport.Drift?) -> StatusReport {
        var report = self
        report.drift = drift
        return report
    }
}
