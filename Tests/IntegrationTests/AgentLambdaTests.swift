import AWS
import Agent
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry agent lambda` driven through invocations by the Runtime API stand-in
/// (Tests/Support/lambda_runtime_standin.py), on moto behind the CloudFormation stand-in
/// (which counts ExecuteChangeSet). Each "execution environment" is a process with its own
/// state folder; a fresh /tmp is a new process whose state folder was wiped. The journal and
/// the lock live in the silo's artifact bucket.
@Suite(.serialized) struct AgentLambdaTests {
    /// A silo, the stand-ins, and the `ferry agent lambda` processes of a test.
    final class World {
        let proxy: CloudFormationFailureStandIn
        let silo: SiloHarness
        let runtime: LambdaRuntimeStandIn
        /// A second Runtime API, for a test that must say which environment takes an invocation.
        private(set) lazy var otherRuntime = try? LambdaRuntimeStandIn()
        private(set) var processes: [FerryProcess] = []

        init() throws {
            proxy = try CloudFormationFailureStandIn()
            silo = try SiloHarness(endpoint: proxy.endpoint)
            runtime = try LambdaRuntimeStandIn()
        }

        /// The settings as the function's environment gives them (FERRY_*), no flags.
        func environment(stateFolder: String, extra: [String: String] = [:]) throws -> [String: String] {
            var environment = try silo.processEnvironment()
            environment["AWS_LAMBDA_RUNTIME_API"] = runtime.api
            environment["AWS_ENDPOINT_URL"] = silo.endpoint
            environment["FERRY_BUCKET"] = silo.releases.name
            environment["FERRY_PREFIX"] = "ferry/"
            environment["FERRY_PIPELINES"] = silo.pipeline
            environment["FERRY_CHANNEL"] = "canary"
            environment["FERRY_TRUST"] = try silo.trustArguments().joined(separator: " ")
            environment["FERRY_STATE_DIR"] = stateFolder
            environment["FERRY_STACK_PREFIX"] = silo.stackPrefix
            environment["FERRY_ARTIFACT_BUCKET"] = silo.artifactBucket
            environment["FERRY_LOG_FORMAT"] = "json"
            environment["FERRY_LOCK_GRACE"] = "0"
            environment.merge(extra) { _, new in new }
            return environment
        }

        /// A new execution environment: `ferry agent lambda` with an empty state folder.
        @discardableResult
        func start(_ name: String, extra: [String: String] = [:]) throws -> FerryProcess {
            let folder = silo.directory.url("env-\(name)")
            try? FileManager.default.removeItem(atPath: folder)
            let environment = try environment(stateFolder: folder, extra: extra)
            // FERRY_LAMBDA_COMMAND (scripts/test --lambda-package): the packaged artifact run as
            // Lambda would, e.g. `scripts/lib/run-as-lambda .build/lambda/task`.
            let process: FerryProcess
            if let command = ProcessInfo.processInfo.environment["FERRY_LAMBDA_COMMAND"], !command.isEmpty {
                let words = command.split(separator: " ").map(String.init)
                process = try FerryProcess.start(program: words[0], Array(words.dropFirst()), environment: environment)
            } else {
                process = try FerryProcess.start(["agent", "lambda"], environment: environment)
            }
            processes.append(process)
            return process
        }

        /// Lambda reclaims an environment: its process ends (SIGKILL by pid).
        func end(_ process: FerryProcess) throws -> FerryRun {
            if process.isRunning { kill(process.pid, SIGKILL) }
            return try process.wait()
        }

        /// Queues an invocation and waits for its answer.
        func invoke(timeout: Double = 120) throws -> LambdaRuntimeStandIn.Result {
            try runtime.result(try runtime.invoke(timeout: timeout))
        }

        /// Invokes until an invocation takes the lock (a killed one holds it until its
        /// deadline), at most `tries` times, half a second apart.
        func invokeUntilLocked(tries: Int = 60) throws -> LambdaRuntimeStandIn.Result {
            for _ in 1...tries {
                let result = try invoke()
                if result.lock != "busy" { return result }
                usleep(500_000)
            }
            throw StandInAnswer(text: "every invocation found the lock held")
        }

        func publishTwoStacks(_ version: String = "1.0.0") throws {
            let prefix = silo.stackPrefix
            try silo.publish(version, [
                .init(name: "data", template: queueTemplate("\(prefix)data-\(Self.tag(version))")),
                .init(name: "app", template: queueTemplate("\(prefix)app-\(Self.tag(version))"), dependsOn: ["data"]),
            ])
        }

        /// The silo ends in sync at `version` with one executed change set per stack.
        func expectInSync(_ version: String, changeSets: Int = 2) throws {
            let executions = try proxy.executions(stackPrefix: silo.stackPrefix)
            #expect(executions.count == changeSets, "\(executions)")
            #expect(executions.values.allSatisfy { $0 == 1 }, "\(executions)")
            let cloud = try silo.cloudFormation()
            for stack in ["data", "app"] {
                #expect(try cloud.getTemplate(stackName: silo.stackPrefix + stack).contains("\(stack)-\(Self.tag(version))"))
            }
            let report = try #require(try silo.report())
            #expect(report.state == .inSync)
            #expect(report.applied == (try SemVer(version)))
        }

        /// A queue name may not hold dots: `1.0.0` becomes `v1_0_0`.
        static func tag(_ version: String) -> String { "v" + version.replacingOccurrences(of: ".", with: "_") }

        deinit {
            for process in processes where process.isRunning { kill(process.pid, SIGKILL) }
        }
    }

    @Test func aReleaseAppliesAcrossInvocationsWithAFreshTmpBetweenThem() throws {
        let world = try World()
        try world.publishTwoStacks()
        // The keys as the template passes them: contents in FERRY_TRUST_<ROLE>, no files.
        var keys = ["FERRY_TRUST": ""]
        for argument in try world.silo.trustArguments() {
            let parts = argument.split(separator: "=").map(String.init)
            keys["FERRY_TRUST_" + parts[1].uppercased()] = try String(contentsOfFile: parts[0], encoding: .utf8)
        }
        // The first environment stops at the first stack's executed change set, as at its deadline.
        let first = try world.start("a", extra: keys.merging(["FERRY_TEST_STOP_AT": "execute-change-set:end"]) { $1 })
        let stopped = try world.invoke()
        #expect(stopped.kind == "response", "\(stopped)")
        #expect(stopped.lock == "acquired")
        #expect(stopped.state == "absent")
        #expect(["interrupted", "suspended"].contains(stopped.outcomes["webapp"] ?? ""), "\(stopped.outcomes)")
        #expect(try world.proxy.executions(stackPrefix: world.silo.stackPrefix).count == 1)
        // Between two invocations of one deploy the silo is deploying, not stopped.
        let between = try #require(try world.silo.report())
        #expect(between.state == .deploying, "\(between)")
        #expect(between.target == (try SemVer("1.0.0")))
        let status = try world.silo.ferry(["status", world.silo.pipeline, "--bucket", world.silo.releases.name,
                                           "--prefix", "ferry/", "--json", "--fail-on", "none"],
                                          environment: ["AWS_ENDPOINT_URL": world.silo.endpoint])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"deploying\""), "\(status.stdout)")
        #expect(!status.stdout.contains("\"stopped\"") && !status.stdout.contains("\"stopping\""), "\(status.stdout)")
        _ = try world.end(first)

        // A fresh environment: its /tmp is empty; the journal comes from the silo bucket.
        let second = try world.start("b", extra: keys)
        let resumed = try world.invoke()
        #expect(resumed.state == "downloaded")
        #expect(resumed.outcomes["webapp"] == "applied", "\(resumed.outcomes) \(second.stderrSoFar.suffix(2000))")
        try world.expectInSync("1.0.0")

        // Warm and idle: the journal is not read again, nothing is deployed, no lock is taken.
        for _ in 1...3 {
            let result = try world.invoke()
            #expect(result.state == "warm")
            #expect(result.outcomes["webapp"] == "idle", "\(result.outcomes)")
            #expect(result.lock == "none", "\(result)")
        }
        try world.expectInSync("1.0.0")
        let lock = try S3(config: try world.silo.agentConfig())
            .headObject(bucket: world.silo.artifactBucket, key: "ferry/agent/lock", versionId: nil)
        #expect(lock == nil, "the lock was not released")
    }

    @Test func anInvocationKilledInTheMiddleOfADeployResumesInANewEnvironment() throws {
        let world = try World()
        try world.publishTwoStacks()
        let killed = try world.start("a", extra: ["FERRY_TEST_KILL_AT": "execute-change-set:begin#2"])
        let lost = try world.runtime.invoke(timeout: 15)
        let run = try killed.wait()
        #expect(run.killed && run.status == SIGKILL, "not killed: \(run.stderr.suffix(2000))")
        #expect(try world.runtime.result(lost, wait: 0).kind == "pending")

        try world.start("b")
        let resumed = try world.invokeUntilLocked()
        #expect(resumed.kind == "response", "\(resumed)")
        #expect(resumed.outcomes["webapp"] == "applied", "\(resumed.outcomes)")
        try world.expectInSync("1.0.0")
    }

    @Test func twoInvocationsAtOnceRunOneDeploy() throws {
        let world = try World()
        try world.publishTwoStacks()
        try world.start("a")
        try world.start("b")
        let ids = [try world.runtime.invoke(), try world.runtime.invoke()]
        let results = try ids.map { try world.runtime.result($0) }
        #expect(results.allSatisfy { $0.kind == "response" }, "\(results)")
        #expect(results.filter { $0.outcomes["webapp"] == "applied" }.count == 1, "\(results.map(\.outcomes))")
        // The other found the lock held, or ran after and found the release applied.
        for result in results where result.outcomes["webapp"] != "applied" {
            #expect(result.lock == "busy" || ["idle", "unchanged"].contains(result.outcomes["webapp"] ?? ""),
                    "\(result)")
        }
        try world.expectInSync("1.0.0")
        // Both environments stay in step afterwards: a new release applies once.
        try world.publishTwoStacks("1.1.0")
        let next = try world.invokeUntilLocked()
        #expect(next.outcomes["webapp"] == "applied", "\(next.outcomes)")
        let again = try world.invokeUntilLocked()
        #expect(["idle", "unchanged"].contains(again.outcomes["webapp"] ?? ""), "\(again.outcomes)")
        try world.expectInSync("1.1.0", changeSets: 4)
    }

    /// The race the lock-free idle check opens: environment b, warm and idle, looks while
    /// environment a deploys a new release (a holds the lock and has not uploaded its
    /// journal yet). b must find something new, meet the lock, and deploy nothing; after a
    /// ends, b downloads a's journal and is idle again.
    @Test func anIdleCheckDuringAnotherEnvironmentsDeployDeploysNothing() throws {
        let world = try World()
        let otherRuntime = try #require(world.otherRuntime)
        try world.publishTwoStacks()
        // `downloaded` #2: a holds after fetching 1.1.0, before its first journalled step.
        let a = try world.start("a", extra: ["FERRY_TEST_HOLD_AT": "downloaded#2"])
        try world.start("b", extra: ["AWS_LAMBDA_RUNTIME_API": otherRuntime.api])
        #expect(try world.invoke().outcomes["webapp"] == "applied")
        for runtime in [otherRuntime, world.runtime, otherRuntime] {
            let settled = try runtime.result(try runtime.invoke())
            #expect(["idle", "unchanged"].contains(settled.outcomes["webapp"] ?? ""), "\(settled)")
        }
        #expect(try otherRuntime.result(try otherRuntime.invoke()).lock == "none", "b is warm and idle")

        try world.publishTwoStacks("1.1.0")
        let deploying = try world.runtime.invoke()
        // a holds the lock (b's look must meet it; a waits at `downloaded` until go-on).
        let s3 = S3(config: try world.silo.agentConfig())
        for _ in 1...600 where try s3.headObject(bucket: world.silo.artifactBucket, key: "ferry/agent/lock",
                                                 versionId: nil) == nil { usleep(100_000) }
        let looked = try otherRuntime.result(try otherRuntime.invoke())
        #expect(looked.kind == "response", "\(looked)")
        #expect(looked.lock == "busy", "\(looked)")
        #expect(looked.outcomes.isEmpty, "\(looked)")
        #expect(try world.proxy.executions(stackPrefix: world.silo.stackPrefix).count == 2, "b deployed nothing")

        #expect(FileManager.default.createFile(atPath: world.silo.directory.url("env-a") + "/go-on", contents: Data()))
        let applied = try world.runtime.result(deploying)
        #expect(applied.outcomes["webapp"] == "applied", "\(applied) \(a.stderrSoFar.suffix(2000))")
        let caughtUp = try otherRuntime.result(try otherRuntime.invoke())
        #expect(caughtUp.state == "downloaded", "\(caughtUp)")
        #expect(["idle", "unchanged"].contains(caughtUp.outcomes["webapp"] ?? ""), "\(caughtUp)")
        let idle = try otherRuntime.result(try otherRuntime.invoke())
        #expect(idle.lock == "none" && idle.outcomes["webapp"] == "idle", "\(idle)")
        try world.expectInSync("1.1.0", changeSets: 4)
    }

    /// Settings from SSM, as the template writes them for either runner (FERRY_SSM_PATH):
    /// the function's environment holds nothing else.
    @Test func settingsComeFromSSM() throws {
        let world = try World()
        try world.publishTwoStacks()
        let ssm = SSM(config: try world.silo.agentConfig())
        var settings = ["bucket": world.silo.releases.name, "prefix": "ferry", "pipelines": world.silo.pipeline,
                        "channel": "canary", "stack-prefix": world.silo.stackPrefix,
                        "artifact-bucket": world.silo.artifactBucket]
        for argument in try world.silo.trustArguments() {
            let parts = argument.split(separator: "=").map(String.init)
            settings["trust/" + parts[1]] = try String(contentsOfFile: parts[0], encoding: .utf8)
        }
        for (name, value) in settings { try ssm.putParameter(name: "/ferry/agent/" + name, value: value) }
        var only = ["FERRY_SSM_PATH": "/ferry/agent/"]
        for name in ["FERRY_BUCKET", "FERRY_PREFIX", "FERRY_PIPELINES", "FERRY_CHANNEL", "FERRY_TRUST",
                     "FERRY_STACK_PREFIX", "FERRY_ARTIFACT_BUCKET"] { only[name] = "" }
        try world.start("a", extra: only)
        let applied = try world.invoke()
        #expect(applied.outcomes["webapp"] == "applied", "\(applied)")
        try world.expectInSync("1.0.0")

        // A path with no settings is an init error that names it.
        let empty = try world.start("b", extra: only.merging(["FERRY_SSM_PATH": "/ferry/nothing/"]) { $1 })
        let run = try empty.wait()
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("SSM has no agent settings under /ferry/nothing/"), "\(run.stderr)")
        #expect(try world.runtime.initErrors().count == 1)
    }

    @Test func withoutTheSiloBucketTheFunctionFailsToStartAndSaysWhy() throws {
        let world = try World()
        let process = try world.start("a", extra: ["FERRY_ARTIFACT_BUCKET": ""])
        let run = try process.wait()
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("set FERRY_ARTIFACT_BUCKET"), "\(run.stderr)")
        let errors = try world.runtime.initErrors()
        #expect(errors.count == 1)
        #expect(errors.first?["errorType"] == "Ferry.Init")
        #expect(errors.first?["errorMessage"]?.contains("keeps its journal in the silo's artifact bucket") == true)
        let listing = try S3(config: try world.silo.agentConfig()).listObjects(bucket: world.silo.artifactBucket)
        #expect(listing.objects.isEmpty)
    }
}
