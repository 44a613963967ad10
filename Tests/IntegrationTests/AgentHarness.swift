import AWS
import Agent
import Archive
import Bucket
import Foundation
import HTTP
import Logging
import Manifest
import TestSupport

/// A release bucket in the build account and one silo account (a fresh account id,
/// reached with STS AssumeRole on moto), with its state folder and trusted key files:
/// what the agent's integration tests start from.
final class SiloHarness {
    let directory: TemporaryDirectory
    let account: String
    /// Where the agent sends every AWS call: moto, or a stand-in proxy in front of it.
    let endpoint: String
    /// The agent's HTTP client: its requests are counted.
    let http = HTTPClient()
    /// The release bucket as the build account (the publisher) sees it.
    let releases: SharedBucket
    /// The stack prefix of this test: stacks are `<prefix><name>`.
    let stackPrefix: String
    let pipeline: String
    let log = LogCapture()

    init(endpoint: String? = nil, pipeline: String = "webapp") throws {
        directory = try TemporaryDirectory("ferry-agentio")
        account = AWSTestConfig.uniqueAccountId()
        self.endpoint = try endpoint ?? TestEnvironment.motoEndpoint()
        releases = try ReleaseFixture.makeBucket(S3(config: try AWSTestConfig.make()))
        stackPrefix = "t" + String(UUID().uuidString.lowercased().prefix(8)) + "-"
        self.pipeline = pipeline
        artifactBucket = uniqueName("ferry-silo-art")
        // The silo's own artifact bucket, as stacksets/ferry-silo.yaml creates it (straight to moto).
        try S3(config: try AWSTestConfig.make().assumingRole(arn: roleArn, sessionName: "ferry-test"))
            .createBucket(artifactBucket)
    }

    /// The silo's artifact bucket (`--artifact-bucket`), in the silo account.
    let artifactBucket: String

    var roleArn: String { "arn:aws:iam::\(account):role/ferry-agent" }

    /// The agent's own identity: the silo account's role, through `endpoint` (one
    /// credential provider for the test, so a restarted agent reuses its credentials).
    func agentConfig() throws -> AWSConfig {
        if let config = cachedConfig { return config }
        let config = try AWSTestConfig.make(endpoint: endpoint, http: http)
            .assumingRole(arn: roleArn, sessionName: "ferry-agent")
        cachedConfig = config
        return config
    }
    private var cachedConfig: AWSConfig?

    /// CloudFormation of the silo account, straight to moto (to look, not through the agent).
    func cloudFormation() throws -> CloudFormation {
        CloudFormation(config: try AWSTestConfig.make().assumingRole(arn: roleArn, sessionName: "ferry-test"))
    }

    var stateDirectory: String { directory.url("state") }
    var silo: String { "\(account)-us-east-1" }

    /// Settings as `ferry agent` would resolve them for this silo.
    func settings(channel: String = "canary", extra: (inout AgentSettings.Layer) throws -> Void = { _ in })
        throws -> AgentSettings {
        var flags = AgentSettings.Layer()
        flags.bucket = releases.name
        flags.prefix = releases.layout.prefix
        flags.pipelines = [pipeline]
        flags.channel = channel
        flags.trust = try trustArguments()
        flags.stateDirectory = stateDirectory
        flags.stackPrefix = stackPrefix
        flags.artifactBucket = artifactBucket
        flags.pinInterval = "0"  // read the pin every tick, as `agent once` does: exact request counts
        try extra(&flags)
        return try AgentSettings.resolve(flags: flags)
    }

    /// The three fixture keys written as files, each with its role (`--trust` arguments).
    func trustArguments() throws -> [String] {
        try [("builder", ReleaseFixture.builderKey), ("release", ReleaseFixture.releaseKey),
             ("oncall", ReleaseFixture.oncallKey)].map { role, key in
            "\(try directory.write("keys/\(role).pub", key.publicKey.fileContents))=\(role)"
        }
    }

    /// An agent in this process (a fresh one is a restarted agent).
    func agent(settings: AgentSettings? = nil, stop: StopSignal = StopSignal()) throws -> Agent {
        let logger = Logger(label: "test") { [log] _ in
            LogLineHandler(format: .json, level: .debug, output: { line in log.append(line) })
        }
        return try Agent.live(settings: try settings ?? self.settings(), trust: ReleaseFixture.trust,
                              bucketConfig: try agentConfig(), logger: logger, stop: stop)
    }

    /// Publishes `version` of the pipeline on `channel` (signed by the fixture keys).
    @discardableResult
    func publish(_ version: String, _ stacks: [ReleaseFixture.Stack], channel: String? = "canary",
                 entries: (inout [ZipEntry]) -> Void = { _ in }) throws -> ReleaseRef {
        try ReleaseFixture.publish(to: releases, pipeline: pipeline, version: version, stacks: stacks, channel: channel,
                                   in: directory.path, entries: entries)
    }

    /// The silo's status report in the bucket.
    func report() throws -> StatusReport? {
        try releases.status(pipeline: pipeline, silo: silo)
    }

    /// The agent's journal, opened beside it (SQLite allows readers).
    func journal() throws -> Journal { try Journal(stateDirectory: stateDirectory) }
}

extension SiloHarness {
    /// The secret of the base profile the `ferry` processes start from (it must never be logged).
    static let secret = "base-secret-never-logged"

    /// Runs the real `ferry` binary as the silo would: credentials from a profile that
    /// assumes the silo account's role, the stackset's flags, JSON logs.
    func ferry(_ arguments: [String], environment extra: [String: String] = [:]) throws -> FerryRun {
        try FerryProcess.run(arguments, environment: try processEnvironment(), adding: extra)
    }

    /// The environment of a `ferry` process: AWS_PROFILE `silo` assumes the silo
    /// account's role from a `base` profile's keys.
    func processEnvironment() throws -> [String: String] {
        let home = directory.url("home")
        let config = try directory.write("home/config", """
            [profile silo]
            region = us-east-1
            role_arn = \(roleArn)
            source_profile = base
            role_session_name = ferry-agent
            [profile base]
            region = us-east-1
            """)
        let credentials = try directory.write("home/credentials",
                                              "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = \(Self.secret)\n")
        return ["HOME": home, "PATH": "/usr/bin:/bin", "AWS_CONFIG_FILE": config,
                "AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_PROFILE": "silo"]
    }

    /// `agent once` with the flags stacksets/ferry-silo.yaml passes (`--prefix ferry/`,
    /// `--trust FILE=ROLE`, `--interval`, `--stack-prefix`, `--artifact-bucket`...).
    func agentOnceArguments(json: Bool = false) throws -> [String] {
        var arguments = ["agent", "once", "--bucket", releases.name, "--prefix", "ferry/", "--pipeline", pipeline,
                         "--channel", "canary", "--state-dir", stateDirectory, "--interval", "30",
                         "--stack-prefix", stackPrefix, "--artifact-bucket", artifactBucket,
                         "--endpoint-url", endpoint, "--log-format", "json"]
        for trust in try trustArguments() { arguments += ["--trust", trust] }
        if json { arguments.append("--json") }
        return arguments
    }

    /// `agent run` with an hour's interval as a process, and whether its stderr showed
    /// `line` (say `applied webapp 1.0.0`) within `seconds`: after that it sleeps.
    func startAgentRun(until line: String, seconds: Double = 30) throws -> (process: FerryProcess, seen: Bool) {
        var arguments = try agentOnceArguments()
        arguments[1] = "run"
        arguments += ["--interval", "1h"]
        let process = try FerryProcess.start(arguments, environment: try processEnvironment())
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if process.stderrSoFar.contains(line) { return (process, true) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (process, process.stderrSoFar.contains(line))
    }
}


/// A template of one SQS queue named `queue`; `metadata` lines go under `Metadata:`.
func queueTemplate(_ queue: String, metadata: String? = nil) -> String {
    var text = "AWSTemplateFormatVersion: '2010-09-09'\n"
    if let metadata { text += "Metadata:\n  \(metadata)\n" }
    text += """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: \(queue)

        """
    return text
}
