import AWS
import Agent
import Foundation
import HTTP
import Logging
import Manifest
import TestSupport
import Testing

/// Issue 13, "Nothing fails silently", the agent's side, on moto with the real binary:
/// each of these made `agent once` print `webapp: idle`, exit 0 and write no report.
@Suite struct AgentQuietTests {
    /// `agent once` with the harness's flags, `--flag value` pairs replaced by `changes`.
    func once(_ silo: SiloHarness, _ changes: [String: String] = [:], json: Bool = false) throws -> FerryRun {
        var arguments = try silo.agentOnceArguments(json: json)
        for (flag, value) in changes {
            let index = try #require(arguments.firstIndex(of: flag))
            arguments[index + 1] = value
        }
        return try silo.ferry(arguments)
    }

    @Test func aBucketThatDoesNotExistFailsOnceAndSaysWhichFlag() throws {
        let silo = try SiloHarness()
        let missing = "ferry-missing-\(UUID().uuidString.lowercased().prefix(8))"
        let run = try once(silo, ["--bucket": missing])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout == "webapp: misconfigured: the bucket \(missing) does not exist (S3 NoSuchBucket): check "
            + "--bucket (FERRY_BUCKET, `bucket:` in the config file) and the region; the agent tries again every tick\n")
        #expect(run.stderr.contains("\"code\":\"noSuchBucket\"") && run.stderr.contains("\"level\":\"error\""))
    }

    @Test func aMistypedPipelineFailsOnceAndIsReportedMisconfigured() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let run = try once(silo, ["--pipeline": "webap"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("webap: misconfigured: no release of the pipeline webap is in s3://"),
                "\(run.stdout)")
        #expect(run.stdout.contains("check --pipeline (FERRY_PIPELINES, `pipelines:`); the bucket has releases of "))
        #expect(run.stdout.contains("webapp"))
        let report = try #require(try silo.releases.status(pipeline: "webap", silo: silo.silo))
        #expect(report.state == .misconfigured && report.error?.code == "noSuchPipeline")
        // Nothing was deployed, nothing of the real pipeline was touched.
        #expect(try silo.report() == nil)
    }

    /// A channel nobody has published to: the silo reports `waiting` from its first tick,
    /// `ferry status` lists it, and `promote --wait` waits for it (it said "no silo to
    /// wait for" while the silo's agent ran).
    @Test func aChannelNobodyPublishedToIsWaitingAndVisibleToStatusAndPromote() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let first = try once(silo, ["--channel": "stable"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout == "webapp: waiting: nothing has been published to the channel stable of webapp yet "
            + "(channels of webapp with a release: canary); the agent applies the first release promoted or released "
            + "to stable: check --channel if that is not the one this silo should follow\n")
        let report = try #require(try silo.report())
        #expect(report.state == .waiting && report.channel == "stable" && report.error?.code == "noPointer")
        #expect(report.applied == nil && report.target == nil)

        let onCall = try onCallEnvironment(silo)
        let status = try FerryProcess.run(["status", "webapp"], environment: onCall)
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")  // waiting is not a failure by default
        let row = try #require(status.stdout.split(separator: "\n").first { $0.hasPrefix(silo.silo) })
        #expect(row.contains("stable") && row.contains("waiting"), "\(status.stdout)")
        #expect(status.stdout.contains("\(silo.silo) waiting: noPointer: nothing has been published to the channel stable"))

        // promote --wait sees the waiting silo and follows it until its agent applied the move.
        let key = try silo.directory.write("release.key", ReleaseFixture.releaseKey.fileContents)
        chmod(key, 0o600)
        let promote = try FerryProcess.start(["promote", "webapp", "--from", "canary", "--to", "stable", "--key", key,
                                              "--force", "--wait", "--timeout", "2m", "--poll-interval", "1s"],
                                             environment: onCall)
        var seen = false
        for _ in 0..<600 where !seen {
            Thread.sleep(forTimeInterval: 0.05)
            seen = promote.stderrSoFar.contains("\(silo.silo): waiting for its agent to take 1.0.0")
        }
        #expect(seen, "\(promote.stderrSoFar)")
        let second = try once(silo, ["--channel": "stable"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout == "webapp: applied 1.0.0\n")
        let promoted = try promote.wait()
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(promoted.stderr.contains("\(silo.silo): in-sync on 1.0.0"))
        #expect(promoted.stderr.contains("converged: 1 silo in-sync on 1.0.0"))
    }

    /// Waiting costs what idling costs: the listings that explain a missing pointer are
    /// not repeated within a heartbeat, not even by a new process (`agent once` by cron).
    @Test func aWaitingAgentListsTheBucketOncePerHeartbeat() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let settings = try silo.settings(channel: "stable")
        var agent: Agent? = try silo.agent(settings: settings)
        silo.http.resetRequestCounts()
        let first = try #require(agent?.tick().first)
        #expect(first.kind == .waiting && first.error?.code == .noPointer && !first.isProblem)
        // GET pin, GET pointer (both 404), two LISTs, one PUT of the report.
        #expect(silo.http.requestCounts.total == 5 && silo.http.requestCounts[.put] == 1)
        #expect(try silo.report()?.state == .waiting)

        silo.http.resetRequestCounts()
        #expect(agent?.tick().map(\.kind) == [.waiting])
        #expect(silo.http.requestCounts.total == 2)

        agent = nil
        let restarted = try silo.agent(settings: settings)
        silo.http.resetRequestCounts()
        #expect(restarted.tick().map(\.kind) == [.waiting])
        #expect(silo.http.requestCounts.total == 2)
    }

    /// The bucket vanishes under a running agent: an error every tick, never idle.
    @Test func aBucketThatDisappearsWhileTheAgentRunsIsAnErrorNotIdle() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        #expect(agent.tick().map(\.kind) == [.idle])

        try deleteBucket(silo.releases.name)
        for _ in 0..<2 {
            let outcome = try #require(agent.tick().first)
            #expect(outcome.kind == .misconfigured && outcome.isProblem)
            #expect(outcome.error?.code == .noSuchBucket)
        }
        #expect(silo.log.lines.contains { $0.contains("\"code\":\"noSuchBucket\"") && $0.contains("\"level\":\"error\"") })
    }

    /// A clean stop is reported `stopped` at once (a stopped agent showed `in-sync` for
    /// half an hour), and the next start reports again from its first tick.
    @Test func aStoppedAgentReportsStoppedAndTheNextStartReportsAgain() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let (process, applied) = try silo.startAgentRun(until: "applied webapp 1.0.0")
        #expect(applied)
        kill(process.pid, SIGTERM)
        #expect(try process.wait().succeeded)
        let stopped = try #require(try silo.report())
        let v1 = try SemVer("1.0.0")
        #expect(stopped.state == .stopped && stopped.applied == v1)

        let status = try FerryProcess.run(["status", "webapp"], environment: try onCallEnvironment(silo))
        #expect(status.stdout.contains("\(silo.silo) stopped: its agent stopped"), "\(status.stdout)")

        // Nothing changed in the bucket, yet the first tick of the next start reports.
        let again = try once(silo)
        #expect(again.status == 0 && again.stdout == "webapp: idle\n", "\(again.stdout)\(again.stderr)")
        #expect(try silo.report()?.state == .inSync)
    }

    /// A stop in the middle of a deployment: `stopping` while it reaches its safe point
    /// (the deployment stays in flight), then `stopped`; the status object's versions
    /// show both, in that order.
    @Test func aStopMidDeploymentReportsStoppingThenStopped() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let stop = StopSignal()
        let agent = try Agent.live(settings: try silo.settings(), trust: ReleaseFixture.trust,
                                   bucketConfig: try silo.agentConfig(), logger: Logger(label: "test"), stop: stop,
                                   checkpoint: { if $0 == "create-change-set:end" { stop.request(because: "SIGTERM") } })
        let outcomes = agent.once()
        #expect(outcomes.map(\.kind) == [.interrupted])
        #expect(try silo.journal().inFlight(pipeline: "webapp") != nil)
        let key = try silo.releases.layout.status(pipeline: "webapp", silo: silo.silo)
        let s3 = S3(config: try AWSTestConfig.make())
        var states: [String] = []
        for version in try s3.listObjectVersions(bucket: silo.releases.name, prefix: key).reversed() {
            let data = try #require(try s3.getObject(bucket: silo.releases.name, key: key,
                                                     options: .init(versionId: version.versionId)).body)
            states.append(try StatusReport.decode(data).state.rawValue)
        }
        #expect(states.suffix(2) == ["stopping", "stopped"], "\(states)")
        #expect(try silo.report()?.target == (try SemVer("1.0.0")))
    }

    /// With the endpoint down, the first failed attempt is logged as a warning at once.
    @Test func anEndpointThatIsDownIsLoggedAtTheFirstFailedAttempt() throws {
        let silo = try SiloHarness()
        var environment = try silo.processEnvironment()
        environment["AWS_PROFILE"] = "base"
        // Keys only (no role to assume) and --silo: the first call is the agent's S3 read.
        var arguments = try silo.agentOnceArguments() + ["--silo", "silo-down"]
        arguments[try #require(arguments.firstIndex(of: "--endpoint-url")) + 1] = "http://127.0.0.1:9"
        let down = try FerryProcess.run(arguments, environment: environment)
        #expect(down.status == 1)
        let lines = down.stderr.split(separator: "\n")
        let first = try #require(lines.first { $0.contains("attempt 1 of 5 failed") }, "\(down.stderr)")
        #expect(first.contains("\"level\":\"warning\"") && first.contains("S3.GetObject"))
        #expect(first.contains("trying again in"))
        // Warned before the tick's error, not only after the whole backoff.
        let error = try #require(lines.firstIndex { $0.contains("\"level\":\"error\"") })
        #expect(try #require(lines.firstIndex(of: first)) < error)
        #expect(!down.stderr.contains(SiloHarness.secret))
    }

    /// The README's agent command as a user who is not root: the default state folder is
    /// under its home; a home it cannot write gives one message naming --state-dir.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aNonRootUserGetsAStateFolderOfItsOwnOrOneClearMessage() throws {
        let silo = try SiloHarness()
        let home = silo.directory.url("nobody-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chmod(silo.directory.path, 0o755)
        chmod(home, 0o777)
        var arguments = try silo.agentOnceArguments()
        let index = try #require(arguments.firstIndex(of: "--state-dir"))
        arguments.removeSubrange(index...(index + 1))
        for path in try silo.trustArguments().map({ String($0.split(separator: "=")[0]) }) {
            chmod(path, 0o644)
            chmod((path as NSString).deletingLastPathComponent, 0o755)
        }
        let binary = try TestEnvironment.ferryBinary()
        let asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary] + arguments
        let base = ["PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": "us-east-1"]

        let denied = try FerryProcess.run(program: "/usr/bin/setpriv", asNobody, environment: base.merging(
            ["HOME": "/nonexistent"]) { $1 })
        #expect(denied.status == 1)
        #expect(denied.stderr == "Error: cannot use the state folder /nonexistent/.local/state/ferry: / is not writable "
            + "by this user (Permission denied); pass --state-dir DIR (or FERRY_STATE_DIR, `state-dir:` in the config "
            + "file) naming a folder this user (uid 65534) may write, or create /nonexistent/.local/state/ferry for it\n")

        let run = try FerryProcess.run(program: "/usr/bin/setpriv", asNobody, environment: base.merging(
            ["HOME": home]) { $1 })
        #expect(FileManager.default.fileExists(atPath: home + "/.local/state/ferry/lock"), "\(run.stderr)")
        #expect(!run.stderr.contains("cannot use the state folder"))
    }

    // MARK: Helpers

    /// On-call's environment: the build account's keys on moto, the harness's bucket.
    func onCallEnvironment(_ silo: SiloHarness) throws -> [String: String] {
        ["HOME": silo.directory.path, "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing",
         "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": try TestEnvironment.motoEndpoint(), "FERRY_BUCKET": silo.releases.name,
         "FERRY_TRUST": try silo.trustArguments().joined(separator: " ")]
    }

    /// Empties the versioned bucket and deletes it (moto without authentication takes the
    /// unsigned DELETE as the owner's).
    func deleteBucket(_ name: String) throws {
        let s3 = S3(config: try AWSTestConfig.make())
        for version in try s3.listObjectVersions(bucket: name) {
            try s3.deleteObject(bucket: name, key: version.key, versionId: version.versionId)
        }
        let response = try HTTPClient().send(HTTPRequest(method: .delete,
                                                         url: "\(try TestEnvironment.motoEndpoint())/\(name)"))
        #expect(response.status == 204, "\(String(decoding: response.body, as: UTF8.self))")
    }
}
