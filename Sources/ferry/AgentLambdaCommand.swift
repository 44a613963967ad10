import AWS
import Agent
import ArgumentParser
import Foundation
import HTTP
import Logging

/// `ferry agent lambda`: the agent as a Lambda function (`provided.al2023`, the package's
/// `bootstrap` runs it). Settings as `agent once` reads them (flags, `--config`, FERRY_*),
/// and from SSM under `FERRY_SSM_PATH`;
/// the state folder defaults to `$TMPDIR/ferry` (else /tmp/ferry), and the journal and the
/// lock live in the silo's artifact bucket under `<prefix>agent/` (docs/agent.md).
struct AgentLambdaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda",
        abstract: "Serve Lambda invocations (AWS_LAMBDA_RUNTIME_API): one reconcile each, the journal in the silo bucket.",
        discussion: """
        Needs the silo's artifact bucket (FERRY_ARTIFACT_BUCKET): the journal is kept there as \
        <prefix>agent/journal.sqlite (compare-and-swap) and the lock across environments as \
        <prefix>agent/lock (taken only when an invocation finds something to do). FERRY_LOCK_GRACE \
        (seconds, default 30): how long past an invocation's deadline its lock counts as held. \
        FERRY_SSM_PATH=/ferry/agent/: read the settings from SSM Parameter Store once per \
        execution environment (a FERRY_* variable that is set wins).

        Examples (the function's bootstrap; stacksets/ferry-silo.yaml sets the second):
          FERRY_BUCKET=acme-ferry FERRY_PIPELINES=webapp FERRY_CHANNEL=stable \\
          FERRY_ARTIFACT_BUCKET=ferry-artifacts-111111111111-eu-west-1 ferry agent lambda
          FERRY_SSM_PATH=/ferry/agent/ FERRY_INTERVAL=60 ferry agent lambda
        """)

    @OptionGroup var options: AgentOptions

    func run() throws {
        var environment = ProcessInfo.processInfo.environment
        guard let api = environment["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty else {
            throw AgentError(.configuration, "AWS_LAMBDA_RUNTIME_API is not set: `ferry agent lambda` is a Lambda "
                + "function's runtime (its bootstrap); run `ferry agent once` or `ferry agent run` elsewhere",
                next: .needsPerson)
        }
        if (environment["FERRY_STATE_DIR"] ?? "").isEmpty, options.stateDir == nil {
            environment["FERRY_STATE_DIR"] = (environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
                + "/ferry"
        }
        let runtime = LambdaRuntimeClient(api: api)
        let host: LambdaHost
        do {
            if let path = environment["FERRY_SSM_PATH"], !path.isEmpty {
                try readSettings(under: path, into: &environment)
            }
            try Self.writeTrustedKeys(&environment)
            host = try makeHost(runtime: runtime, environment: environment)
        } catch {
            // Lambda shows the init error in the function's log and ends the environment.
            try? runtime.initFailed(type: "Ferry.Init", message: "\(error)")
            throw error
        }
        try host.serve()
    }

    private func makeHost(runtime: LambdaRuntimeClient, environment: [String: String]) throws -> LambdaHost {
        let settings = try options.settings(environment: environment)
        let logger = Logger(label: "ferry.agent") { _ in
            LogLineHandler(format: settings.logFormat, level: Logger.Level(rawValue: settings.logLevel) ?? .info)
        }
        let trust = try KeyFiles.trust(settings.trust)
        let retrier = Retrier(onRetry: { [logger] notice in
            logger.warning("\(notice)", metadata: ["attempt": "\(notice.attempt)"])
        })
        let config = try AWSConfig.resolve(profile: settings.profile, region: settings.region,
                                           endpointURL: settings.endpointURL, environment: environment,
                                           retrier: retrier, allowHTTP: options.aws.allowHTTP)
        guard let template = settings.artifactBucket else {
            throw AgentError(.configuration, "ferry agent lambda keeps its journal in the silo's artifact bucket: set "
                + "FERRY_ARTIFACT_BUCKET (stacksets/ferry-silo.yaml does)", next: .needsPerson)
        }
        let bucket = template.replacingOccurrences(of: "{region}", with: config.region)
        let prefix = settings.prefix.hasSuffix("/") ? settings.prefix : settings.prefix + "/"
        try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
        let store = S3(config: config)
        let state = StateStore(store: store, bucket: bucket, key: prefix + "agent/journal.sqlite",
                               path: settings.stateDirectory + "/" + Journal.fileName)
        let lease = StateLease(store: store, bucket: bucket, key: prefix + "agent/lock")
        let grace = environment["FERRY_LOCK_GRACE"].flatMap(Double.init) ?? 30
        let kill = AgentOptions.testKillHook(environment: environment)
        let stopAt = Self.testStopHook(environment: environment)
        let hold = Self.testHoldHook(environment: environment, stateDirectory: settings.stateDirectory)
        return LambdaHost(runtime: runtime, state: state, lease: lease, logger: logger, lockGrace: grace,
                          testKill: kill, testStop: stopAt, testHold: hold) { stop, checkpoint throws(AgentError) in
            try Agent.live(settings: settings, trust: trust, bucketConfig: config, logger: logger, stop: stop,
                           checkpoint: checkpoint)
        }
    }

    /// `FERRY_SSM_PATH=/ferry/agent/`: the settings stacksets/ferry-silo.yaml keeps in SSM
    /// Parameter Store (`SSMSettings`), read once per execution environment (a changed
    /// setting applies at the next cold start, as the instance runner's at its next
    /// restart). A variable the function's environment sets wins over its parameter.
    private func readSettings(under path: String, into environment: inout [String: String]) throws {
        let parameters: [SSM.Parameter]
        do {
            let config = try AWSConfig.resolve(environment: environment, allowHTTP: options.aws.allowHTTP)
            parameters = try SSM(config: config).parameters(under: path)
        } catch {
            throw AgentError(.configuration, "cannot read the agent's settings under \(path) from SSM "
                + "(GetParametersByPath): \(error); let the function's role call ssm:GetParametersByPath on it, or "
                + "unset FERRY_SSM_PATH and set FERRY_* in the function's environment", next: .needsPerson)
        }
        let (variables, unknown) = SSMSettings.variables(parameters, path: path)
        guard !variables.isEmpty else {
            throw AgentError(.configuration, "SSM has no agent settings under \(path) (FERRY_SSM_PATH): create them "
                + "(stacksets/ferry-silo.yaml does: \(path)bucket, \(path)pipelines...), or unset FERRY_SSM_PATH",
                next: .needsPerson)
        }
        if !unknown.isEmpty {
            FileHandle.standardError.write(Data(("ferry agent lambda: SSM parameters under \(path) that name no "
                + "setting are ignored: \(unknown.joined(separator: ", "))\n").utf8))
        }
        for (name, value) in variables where (environment[name] ?? "").isEmpty { environment[name] = value }
    }

    /// `FERRY_TRUST_BUILDER`, `FERRY_TRUST_RELEASE`, `FERRY_TRUST_ONCALL`: a public key's
    /// contents (a function's environment holds no files), written to
    /// `<state-dir>/keys/<role>.pub` and added to `FERRY_TRUST` as `FILE=ROLE`.
    static func writeTrustedKeys(_ environment: inout [String: String]) throws {
        let folder = (environment["FERRY_STATE_DIR"] ?? "/tmp/ferry") + "/keys"
        var trust = environment["FERRY_TRUST"].map { [$0] } ?? []
        for role in ["builder", "release", "oncall"] {
            guard let key = environment["FERRY_TRUST_" + role.uppercased()],
                  !key.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let file = "\(folder)/\(role).pub"
            try (key.trimmingCharacters(in: .whitespacesAndNewlines) + "\n").write(toFile: file, atomically: true,
                                                                                encoding: .utf8)
            trust.append("\(file)=\(role)")
        }
        if !trust.isEmpty { environment["FERRY_TRUST"] = trust.joined(separator: " ") }
    }

    /// `FERRY_TEST_STOP_AT=<checkpoint>[#n]` (tests only, debug builds): the invocation is
    /// asked to stop at the n-th time this process reaches the checkpoint, as if its
    /// deadline had come; it stops at the next safe point.
    static func testStopHook(environment: [String: String]) -> (String) -> Bool {
        #if FERRY_TEST_HOOKS
        guard let text = environment["FERRY_TEST_STOP_AT"], let point = KillPoint(text) else { return { _ in false } }
        let box = KillPointBox(point)
        return { name in box.point.reached(name) }
        #else
        return { _ in false }
        #endif
    }

    /// `FERRY_TEST_HOLD_AT=<checkpoint>[#n]` (tests only, debug builds): the invocation waits
    /// at the n-th time this process reaches the checkpoint (after the journal's upload)
    /// until the file `<state-dir>/go-on` exists, at most two minutes: a test runs another
    /// invocation meanwhile.
    static func testHoldHook(environment: [String: String], stateDirectory: String) -> (String) -> Void {
        #if FERRY_TEST_HOOKS
        guard let text = environment["FERRY_TEST_HOLD_AT"], let point = KillPoint(text) else { return { _ in } }
        let box = KillPointBox(point)
        return { name in
            guard box.point.reached(name) else { return }
            let end = Date().addingTimeInterval(120)
            while !FileManager.default.fileExists(atPath: stateDirectory + "/go-on"), Date() < end { usleep(20_000) }
        }
        #else
        return { _ in }
        #endif
    }
}

