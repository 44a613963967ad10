import AWS
import Agent
import ArgumentParser
import Foundation
import HTTP
import Logging
import Manifest

/// `ferry agent`: the silo leg. `run` is the daemon, `once` one reconcile (cron, a
/// scheduled task), `history` the local journal.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The silo agent: poll the bucket, verify and apply releases, report.",
        discussion: """
        Settings: flags, else the --config YAML file, else FERRY_* (see docs/agent.md).

        Examples:
          ferry agent run --config /etc/ferry/agent.yaml
          ferry agent once --bucket acme-ferry-releases --pipeline webapp --channel stable \\
              --trust /etc/ferry/release.pub=release --trust /etc/ferry/oncall.pub=oncall
        """,
        subcommands: [AgentRunCommand.self, AgentOnceCommand.self, AgentLambdaCommand.self, AgentHistoryCommand.self])
}

/// `ferry agent run`: reconciles every interval until SIGTERM or SIGINT.
struct AgentRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: one reconcile every interval until SIGTERM/SIGINT (a deploy in flight resumes at the next start).",
        discussion: """
        Example (what the bootstrap StackSet's systemd unit runs):
          ferry agent run --config /etc/ferry/agent.yaml
        """)

    @OptionGroup var options: AgentOptions

    func run() throws {
        let stop = StopSignal()
        let agent = try options.start(stop: stop)
        agent.run()
    }
}

/// `ferry agent once`: one reconcile; exits 1 when something was refused, failed or is
/// misconfigured, 3 when a pipeline waits for its first release.
struct AgentOnceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "One reconcile of every pipeline (for cron or a scheduled task).",
        discussion: """
        Exit status: 0 when every pipeline is applied or unchanged; 1 when something was refused or \
        failed, or the settings name nothing in the bucket (no such bucket or pipeline, access denied); \
        3 when a pipeline's channel has no release yet (the agent waits for the first one).

        Example (crontab, every 5 minutes):
          */5 * * * * ferry agent once --config /etc/ferry/agent.yaml
        """)

    @OptionGroup var options: AgentOptions

    @Flag(help: "Print the outcome of each pipeline as JSON.")
    var json = false

    func run() throws {
        let stop = StopSignal()
        let agent = try options.start(stop: stop)
        let outcomes = agent.once()
        if json {
            let objects = outcomes.map { outcome -> [String: String] in
                var object = ["pipeline": outcome.pipeline, "outcome": outcome.kind.rawValue]
                if let target = outcome.target { object["target"] = target.description }
                if let error = outcome.error { object["error"] = error.message; object["code"] = error.code.description }
                return object
            }
            try Output.printJSON(objects)
        } else {
            for outcome in outcomes {
                let target = outcome.target.map { " \($0)" } ?? ""
                let why = outcome.error.map { ": \($0.message)" } ?? ""
                print("\(outcome.pipeline): \(outcome.kind.rawValue)\(target)\(why)")
            }
        }
        if outcomes.contains(where: \.isProblem) { throw ExitCode(1) }
        if outcomes.contains(where: { $0.kind == .waiting }) { throw ExitCode(3) }
    }
}

/// The settings `run` and `once` share: each flag also has a key in the `--config`
/// YAML file and a `FERRY_*` variable.
struct AgentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A YAML file of settings (keys as the flags). Default: FERRY_CONFIG.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The shared release bucket (FERRY_BUCKET).", valueName: "name"))
    var bucket: String?

    @Option(help: ArgumentHelp("The key prefix in the bucket, e.g. ferry/ (FERRY_PREFIX).", valueName: "prefix"))
    var prefix: String?

    @Option(name: .customLong("pipeline"), help: ArgumentHelp("A pipeline to run; repeat for more (FERRY_PIPELINES).", valueName: "name"))
    var pipelines: [String] = []

    @Option(help: ArgumentHelp("The channel to follow. Default: stable (FERRY_CHANNEL).", valueName: "name"))
    var channel: String?

    @Option(help: ArgumentHelp("This silo's name. Default: <account id>-<region> (FERRY_SILO).", valueName: "name"))
    var silo: String?

    @Option(help: ArgumentHelp("A trusted public key and its roles, FILE.pub=ROLE[,ROLE]; repeatable (FERRY_TRUST).",
                               valueName: "file.pub=role,..."))
    var trust: [String] = []

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The journal, lock and releases. Default: $STATE_DIRECTORY (systemd), else /var/lib/ferry as root, else $XDG_STATE_HOME/ferry or ~/.local/state/ferry (FERRY_STATE_DIR).", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Between reconciles of agent run, jittered ±10 %: 30, 30s, 2m. Default: 30 s (FERRY_INTERVAL).", valueName: "duration"))
    var interval: String?

    @Option(name: .customLong("pin-interval"), help: ArgumentHelp("agent run reads this silo's pin this often (the channel every tick). Default: 3m (FERRY_PIN_INTERVAL).", valueName: "duration"))
    var pinInterval: String?

    @Option(help: ArgumentHelp("An idle agent rewrites its status report this often, so on-call can tell it from a silent one. Default: 30m (FERRY_HEARTBEAT).", valueName: "duration"))
    var heartbeat: String?

    @Option(name: .customLong("deploy-role-arn"), help: ArgumentHelp("A role to assume for stack operations; bucket reads keep the agent's identity (FERRY_DEPLOY_ROLE_ARN).", valueName: "arn"))
    var deployRoleArn: String?

    @Option(name: .customLong("cloudformation-role-arn"), help: ArgumentHelp("A service role CloudFormation acts as for the stacks (FERRY_CLOUDFORMATION_ROLE_ARN).", valueName: "arn"))
    var cloudFormationRoleArn: String?

    @Option(name: .customLong("artifact-bucket"), help: ArgumentHelp("This silo's own bucket for verified artifacts (code, nested and large templates); {region} is replaced by a stack's region. Needed by releases with artifacts (FERRY_ARTIFACT_BUCKET).", valueName: "bucket"))
    var artifactBucket: String?

    @Option(name: .customLong("stack-prefix"), help: ArgumentHelp("Deploy stack S as <prefix>S (FERRY_STACK_PREFIX).", valueName: "prefix"))
    var stackPrefix: String?

    @Option(name: .customLong("parameter"), help: ArgumentHelp("This silo's value of a stack parameter; repeatable (FERRY_PARAMETERS).", valueName: "stack.key=value"))
    var parameters: [String] = []

    @Option(help: ArgumentHelp("Drift detection of the applied stacks: off, report (in the status report) or revert (re-apply the release with a drift-aware change set). Default: off (FERRY_DRIFT).", valueName: "mode"))
    var drift: String?

    @Option(name: .customLong("drift-interval"), help: ArgumentHelp("Between drift detections: 30m, 1h. Default: 1h (FERRY_DRIFT_INTERVAL).", valueName: "duration"))
    var driftInterval: String?

    @Option(name: .customLong("drift-exclude"), help: ArgumentHelp("A resource type drift leaves out, e.g. AWS::IAM::* ; repeatable (FERRY_DRIFT_EXCLUDE).", valueName: "type"))
    var driftExclude: [String] = []

    @Option(name: .customLong("max-entries"), help: ArgumentHelp("Unpack limit: entries in a bundle. Default: 10000.", valueName: "n"))
    var maxEntries: String?

    @Option(name: .customLong("max-unpacked-bytes"), help: ArgumentHelp("Unpack limit: bytes a bundle unpacks to: 2G, 512M. Default: 2G.", valueName: "size"))
    var maxUnpackedBytes: String?

    @Option(name: .customLong("max-ratio"), help: ArgumentHelp("Unpack limit: unpacked/packed ratio (zip bombs). Default: 100.", valueName: "n"))
    var maxRatio: String?

    @Option(name: .customLong("log-format"), help: ArgumentHelp("json (one object per line) or text. Default: text (FERRY_LOG_FORMAT).", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("debug, info, warning or error. Default: info (FERRY_LOG_LEVEL).", valueName: "level"))
    var logLevel: String?

    @OptionGroup var aws: AWSOptions
    @OptionGroup var metrics: AgentMetricsOptions
    @OptionGroup var notify: AgentNotifyOptions

    /// Flags over the YAML file over FERRY_*.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AgentSettings {
        var flags = AgentSettings.Layer()
        flags.bucket = bucket
        flags.prefix = prefix
        flags.pipelines = pipelines.isEmpty ? nil : pipelines
        flags.channel = channel
        flags.silo = silo
        flags.trust = trust.isEmpty ? nil : trust
        flags.stateDirectory = stateDir
        flags.interval = interval
        flags.pinInterval = pinInterval
        flags.heartbeat = heartbeat
        flags.deployRoleArn = deployRoleArn
        flags.cloudFormationRoleArn = cloudFormationRoleArn
        flags.artifactBucket = artifactBucket
        flags.stackPrefix = stackPrefix
        try flags.addParameters(parameters, from: "--parameter")
        flags.drift = drift
        flags.driftInterval = driftInterval
        flags.driftExclude = driftExclude.isEmpty ? nil : driftExclude
        flags.maxEntries = maxEntries
        flags.maxUnpackedBytes = maxUnpackedBytes
        flags.maxRatio = maxRatio
        flags.logFormat = logFormat
        flags.logLevel = logLevel
        flags.region = aws.region
        flags.profile = aws.profile
        flags.endpointURL = aws.endpointURL
        return try AgentSettings.resolve(
            flags: flags, file: try Self.file(config, environment: environment), environment: try .environment(environment),
            stateDirectoryDefault: AgentSettings.stateDirectoryDefault(userID: getuid(), environment: environment))
    }

    /// The `--config` (or FERRY_CONFIG) file's settings; none without a file.
    static func file(_ path: String?, environment: [String: String]) throws -> AgentSettings.Layer {
        guard let path = path ?? environment["FERRY_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return AgentSettings.Layer()
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("cannot read the config file \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let cap = 1 << 20
        let data = (try? handle.read(upToCount: cap + 1)) ?? Data()
        guard data.count <= cap else { throw ValidationError("\(path) is larger than 1 MiB: not an agent config file") }
        return try .yaml(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Resolves the settings, the trusted keys and AWS, sets up the log, the stop signal
    /// and the test hook, and opens the agent (taking the state folder).
    func start(stop: StopSignal) throws -> Agent {
        // Read once: each ProcessInfo.environment builds a dictionary of the whole environment.
        let environment = ProcessInfo.processInfo.environment
        let settings = try settings(environment: environment)
        let logger = Logger(label: "ferry.agent") { _ in
            LogLineHandler(format: settings.logFormat, level: Logger.Level(rawValue: settings.logLevel) ?? .info)
        }
        let trustStore = try KeyFiles.trust(settings.trust)
        // Every AWS call that will be tried again says so at once: with the endpoint down,
        // the first failed attempt is logged, not only the last one after the backoff.
        let retrier = Retrier(onRetry: { [logger] notice in
            logger.warning("\(notice)", metadata: ["attempt": "\(notice.attempt)"])
        })
        let config = try AWSConfig.resolve(profile: settings.profile, region: settings.region,
                                           endpointURL: settings.endpointURL, environment: environment,
                                           retrier: retrier, allowHTTP: aws.allowHTTP)
        stop.install { [logger] name in
            logger.notice("\(name): stopping at the next safe point; a deployment in flight resumes at the next start")
        }
        let agent = try Agent.live(settings: settings, trust: trustStore, bucketConfig: config, logger: logger, stop: stop,
                                   checkpoint: Self.testKillHook(environment: environment))
        metrics.attach(to: agent, json: settings.logFormat == .json)
        notify.attach(to: agent, config: config, environment: environment, logger: logger)
        return agent
    }

    /// `FERRY_TEST_KILL_AT=<checkpoint>[#n]` (tests only): SIGKILL right after the n-th
    /// time the agent reaches the checkpoint (see `KillPoint`, docs/agent.md). Compiled
    /// only into debug builds (`FERRY_TEST_HOOKS`, Package.swift), which the tests run;
    /// a release build ignores the variable.
    static func testKillHook(environment: [String: String]) -> (String) -> Void {
        #if FERRY_TEST_HOOKS
        guard let text = environment["FERRY_TEST_KILL_AT"], let point = KillPoint(text) else {
            return { _ in }
        }
        let box = KillPointBox(point)
        return { name in
            if box.point.reached(name) { kill(getpid(), SIGKILL) }
        }
        #else
        return { _ in }
        #endif
    }
}

#if FERRY_TEST_HOOKS
/// A test hook's checkpoint counter, shared by the closures that `FERRY_TEST_KILL_AT` and
/// `FERRY_TEST_STOP_AT` install.
final class KillPointBox {
    var point: KillPoint
    init(_ point: KillPoint) { self.point = point }
}
#endif
