import AWS
import Bucket
import Foundation
import Logging
import Manifest

/// The silo agent (DESIGN.md, "The agent, as a state machine"): holds the state folder
/// (`StateLock`, `Journal`), and on each tick, per pipeline, polls the pin and the
/// channel pointer with conditional GETs, chooses the target (`selectTarget`), fetches
/// and verifies it (`ReleaseStore`), applies it (`Applier` over `CloudFormationStacks`)
/// and reports (`StatusReporter`). One thread; `StopSignal` stops it at a safe point.
public final class Agent {
    public let settings: AgentSettings
    /// This silo's name: `settings.silo`, else `<account id>-<region>` of the agent.
    public let silo: String
    public let journal: Journal
    private let lock: StateLock
    let bucket: SharedBucket
    let trust: TrustStore
    let store: ReleaseStore
    let reporter: StatusReporter
    private let bucketConfig: AWSConfig
    private let deployConfig: AWSConfig
    let logger: Logger
    let stop: StopSignal
    let timing: Timing
    private var services: [String: CloudFormationStacks] = [:]
    /// When each pipeline's pin was last read (`agent run` reads it every `pinInterval`).
    var pinReadAt: [String: Date] = [:]

    /// Takes the state folder (refused with `.locked` while another agent holds it),
    /// opens the journal and resolves the silo name.
    ///
    /// - Parameters:
    ///   - bucketConfig: the agent's own identity: bucket reads, status writes, the silo name.
    ///   - checkpoint: called with `<step>:<begin|end>` after each journalled step and with
    ///     `downloaded` / `unpacked` (the test hook `FERRY_TEST_KILL_AT` kills the process there).
    public init(settings: AgentSettings, trust: TrustStore, bucketConfig: AWSConfig, logger: Logger,
                stop: StopSignal = StopSignal(), timing: Timing = Timing(),
                checkpoint: @escaping (String) -> Void = { _ in }) throws(AgentError) {
        self.settings = settings
        self.trust = trust
        self.bucketConfig = bucketConfig
        self.logger = logger
        self.stop = stop
        self.timing = timing
        lock = try StateLock(stateDirectory: settings.stateDirectory)
        journal = try Journal(stateDirectory: settings.stateDirectory)
        silo = try Self.resolveSilo(settings: settings, config: bucketConfig)
        deployConfig = settings.deployRoleArn.map { bucketConfig.assumingRole(arn: $0, sessionName: "ferry-agent") }
            ?? bucketConfig
        bucket = SharedBucket(s3: S3(config: bucketConfig), name: settings.bucket,
                              layout: BucketLayout(prefix: settings.prefix))
        store = ReleaseStore(bucket: bucket, trust: trust, root: settings.stateDirectory + "/releases",
                             limits: settings.limits, checkpoint: checkpoint)
        reporter = StatusReporter(bucket: bucket, journal: journal, silo: silo, channel: settings.channel,
                                  intervalSeconds: Int(settings.interval.rounded()),
                                  heartbeatSeconds: Int(max(settings.heartbeat, settings.interval).rounded()))
        journal.onStep = { [logger] entry in
            var metadata: Logger.Metadata = ["pipeline": "\(entry.pipeline)", "step": "\(entry.step)",
                                             "phase": "\(entry.phase.rawValue)"]
            if let stack = entry.stack { metadata["stack"] = "\(stack)" }
            if let version = entry.version { metadata["version"] = "\(version)" }
            if let serial = entry.serial { metadata["serial"] = "\(serial)" }
            logger.info("\(entry.step) \(entry.phase.rawValue): \(entry.detail)", metadata: metadata)
            checkpoint("\(entry.step):\(entry.phase.rawValue)")
        }
    }

    /// The silo's name: `settings.silo`; else remembered in `<state-dir>/silo` from an
    /// earlier start in this region; else `<account>-<region>` from STS GetCallerIdentity
    /// (then remembered, so an idle tick never asks STS).
    static func resolveSilo(settings: AgentSettings, config: AWSConfig) throws(AgentError) -> String {
        if let silo = settings.silo { return silo }
        let file = settings.stateDirectory + "/silo"
        // One line, as written below; the first use of Foundation's trimming costs a millisecond.
        if let words = try? String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isWhitespace),
           words.count == 1, case let cached = String(words[0]),
           cached.hasSuffix("-" + config.region), (try? Name.validate(cached, as: "silo")) != nil {
            return cached
        }
        let identity: STS.CallerIdentity
        do {
            identity = try STS(config: config).getCallerIdentity()
        } catch {
            throw AgentError(.service, "cannot tell this silo's account (STS GetCallerIdentity failed: \(error)); "
                + "check the agent's credentials, or pass --silo NAME", next: error.isRetryable ? .transient : .needsPerson,
                cause: error)
        }
        let silo = "\(identity.account)-\(config.region)"
        try? (silo + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return silo
    }

    // MARK: Running

    /// `ferry agent run`: resumes deployments in flight, then ticks every interval
    /// (jittered by ±10 %) until a stop is asked for.
    public func run() {
        logger.notice("agent started", metadata: startMetadata)
        _ = resumeInFlight()
        while !stop.isRequested {
            _ = tick()
            stop.sleep(seconds: settings.interval * Double.random(in: 0.9...1.1))
        }
        logger.notice("agent stopped at a safe point", metadata: ["signal": "\(stop.requestedBy ?? "none")"])
    }

    /// `ferry agent once`: resumes deployments in flight, then one tick. Per pipeline the
    /// tick's outcome, or the resumed deployment's when the tick was idle; a resumed
    /// deployment that failed is kept beside a busy tick's outcome.
    public func once() -> [PipelineOutcome] {
        logger.debug("agent once", metadata: startMetadata)
        let resumed = resumeInFlight()
        var outcomes = tick()
        for earlier in resumed {
            guard let index = outcomes.firstIndex(where: { $0.pipeline == earlier.pipeline }) else { continue }
            if outcomes[index].kind == .idle {
                outcomes[index] = earlier
            } else if earlier.isProblem {
                outcomes.insert(earlier, at: index)
            }
        }
        return outcomes
    }

    /// Resumes the deployment in flight of each pipeline (a crash or stop left it), and
    /// writes a report the journal has but the bucket may not (a crash right after a
    /// journal write); an unchanged report costs nothing.
    public func resumeInFlight() -> [PipelineOutcome] {
        settings.pipelines.compactMap { pipeline in
            guard !stop.isRequested else { return nil }
            return guarded(pipeline) { () throws -> PipelineOutcome? in
                guard let flying = try journal.inFlight(pipeline: pipeline) else {
                    guard try journal.latestRelease(pipeline: pipeline) != nil else { return nil }
                    return report(pipeline).map { PipelineOutcome(pipeline: pipeline, kind: .error, error: $0) }
                }
                logger.notice("resuming the deployment in flight", metadata: ["pipeline": "\(pipeline)",
                    "version": "\(flying.plan.target.version)", "serial": "\(flying.plan.target.serial)"])
                guard let outcome = try applier(for: pipeline).resume(pipeline: pipeline) else { return nil }
                return finish(pipeline, target: flying.plan.target, outcome: outcome, problems: [])
            }
        }
    }

    /// One reconcile of every pipeline.
    public func tick() -> [PipelineOutcome] {
        settings.pipelines.map { pipeline in
            guard !stop.isRequested else { return PipelineOutcome(pipeline: pipeline, kind: .interrupted) }
            return guarded(pipeline) { try reconcile(pipeline) } ?? PipelineOutcome(pipeline: pipeline, kind: .idle)
        }
    }

    private var startMetadata: Logger.Metadata {
        ["silo": "\(silo)", "pipelines": "\(settings.pipelines.joined(separator: ","))",
         "channel": "\(settings.channel)", "bucket": "\(settings.bucket)", "interval": "\(settings.interval)"]
    }

    /// Runs `body`; a failure becomes an `.error` outcome, logged.
    private func guarded(_ pipeline: String, _ body: () throws -> PipelineOutcome?) -> PipelineOutcome? {
        do {
            return try body()
        } catch {
            let problem = AgentError.sorting(error, doing: "the tick of \(pipeline)")
            logger.error("\(problem.message)", metadata: ["pipeline": "\(pipeline)", "code": "\(problem.code)"])
            return PipelineOutcome(pipeline: pipeline, kind: .error, error: problem)
        }
    }

    // MARK: Applying

    func applier(for pipeline: String) -> Applier {
        Applier(journal: journal, clock: stop, timing: timing,
                templateURL: { [bucketConfig, bucket] sha256 in
                    try Self.templateURL(sha256: sha256, bucket: bucket, config: bucketConfig)
                },
                services: { [unowned self] region in stackService(region: region) },
                onChange: { [unowned self] _ in report(pipeline) },
                onEvent: { [logger] event in
                    logger.info("\(event.stack) \(event.logicalResourceId) \(event.status)\(event.reason.map { ": \($0)" } ?? "")", metadata: [
                            "pipeline": "\(pipeline)", "stack": "\(event.stack)", "resource": "\(event.logicalResourceId)",
                            "status": "\(event.status)", "eventTime": "\(event.time)"])
                },
                stopRequested: { [stop] in stop.isRequested })
    }

    /// The CloudFormation client of `region` (nil: the agent's), as the deploy identity.
    private func stackService(region: String?) -> any StackService {
        let key = region ?? deployConfig.region
        if let service = services[key] { return service }
        var config = deployConfig
        config.region = key
        let service = CloudFormationStacks(config: config, roleARN: settings.cloudFormationRoleArn)
        services[key] = service
        return service
    }

    /// The S3 URL of the artifact `PREFIX/artifacts/sha256/<hex>` (path-style, on the
    /// bucket's endpoint), for templates above CloudFormation's body limit.
    static func templateURL(sha256: String, bucket: SharedBucket, config: AWSConfig) throws -> String {
        "\(try config.endpoint(for: .s3))/\(bucket.name)/\(try bucket.layout.artifact(sha256: sha256))"
    }

    /// Writes the report of `pipeline` if it changed; a failure is logged (and the tick's
    /// outcome says so), never fatal.
    @discardableResult
    func report(_ pipeline: String, refusals: [AgentError] = []) -> AgentError? {
        do {
            if let report = try reporter.update(pipeline: pipeline, refusals: refusals) {
                logger.debug("status written", metadata: ["pipeline": "\(pipeline)", "state": "\(report.state.rawValue)"])
            }
            return nil
        } catch {
            logger.warning("\(error.message)", metadata: ["pipeline": "\(pipeline)"])
            return error
        }
    }
}
