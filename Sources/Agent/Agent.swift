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
    /// The CloudFormation of a region (`nil`: the agent's own), as the deploy identity.
    public typealias StackServices = (_ region: String?) -> any StackService

    public let settings: AgentSettings
    /// This silo's name: `settings.silo`, else `<account id>-<region>` of the agent.
    public let silo: String
    public let journal: Journal
    /// Held while the agent lives (`live` takes it); nil for an agent whose caller holds it.
    private let lock: StateLock?
    let bucket: SharedBucket
    let trust: TrustStore
    let store: ReleaseStore
    let reporter: StatusReporter
    let logger: Logger
    let stop: StopSignal
    /// The agent's only source of time: ticks, pointer expiry, reports, stack polls.
    let clock: any AgentClock
    let timing: Timing
    private let stackServices: StackServices
    let artifacts: SiloArtifacts
    /// The silo's CloudWatch alarms, for the rollout's health gate (nil: no gate is judged).
    let alarms: (any AlarmSource)?
    private var services: [String: any StackService] = [:]
    /// What the change sets of each pipeline's deployment in this process change, by
    /// stack (`PipelineOutcome.changes`).
    var changeSets: [String: [String: [ResourceChange]]] = [:]
    /// What a rollout's waves look at: the silo's name, and its account and region when
    /// the name is `<account id>-<region>` (the default name) or the settings give a region.
    public var facts: SiloFacts {
        let parts = silo.split(separator: "-", maxSplits: 1).map(String.init)
        let account = parts.count == 2 && parts[0].wholeMatch(of: /[0-9]{12}/) != nil ? parts[0] : ""
        let region = settings.region ?? (account.isEmpty ? "" : parts[1])
        return SiloFacts(name: silo, account: account, region: region, tags: settings.tags)
    }
    /// When each pipeline's pin was last read (`agent run` reads it every `pinInterval`).
    var pinReadAt: [String: Date] = [:]
    /// When each pipeline's missing channel pointer was last explained (`explainAbsence`).
    var absenceJudgedAt: [String: Date] = [:]
    /// The pipelines whose report this process has written or found current. The first
    /// tick of each checks its report even when idle, so a restarted agent never leaves
    /// the `stopped` of its last run in the bucket (an unchanged report costs nothing).
    private var reported: Set<String> = []
    /// Called after each reconcile of every pipeline with its outcomes, how long it took
    /// and when it ended (metrics: `AgentMetrics`).
    public var onReconcile: (_ outcomes: [PipelineOutcome], _ seconds: Double, _ end: Date) -> Void = { _, _, _ in }
    /// A stop ends this run only, not the agent (`ferry agent lambda`: an invocation's
    /// deadline). The report then keeps the deployment's own state (`deploying`), never
    /// `stopping` or `stopped`: the next invocation resumes the deployment.
    public var stopIsPause = false

    /// An agent over the collaborators it is given (the fleet simulator and tests give
    /// in-memory ones; `live` builds the real ones).
    ///
    /// - Parameters:
    ///   - journal: the silo's journal; `reporter` and `store` must use the same one and `bucket`.
    ///   - stacks: the CloudFormation of a region (`nil`: the agent's own); asked once per region.
    ///   - artifacts: verifies each release's artifacts into the silo's artifact bucket and
    ///     relocates its templates there (also where templates above CloudFormation's body
    ///     limit are read from).
    ///   - clock: every time the agent reads or waits for (its `sleep` should end early when
    ///     `stop` is asked for: `StopSignal` itself is such a clock).
    ///   - checkpoint: called with `<step>:<begin|end>` after each journalled step.
    ///   - lock: the state folder's lock, held as long as the agent lives.
    ///   - alarms: the silo's CloudWatch alarms, for a channel's health gate (`rollout.health`).
    public init(settings: AgentSettings, silo: String, trust: TrustStore, journal: Journal, bucket: SharedBucket,
                store: ReleaseStore, reporter: StatusReporter, stacks: @escaping StackServices,
                artifacts: SiloArtifacts, clock: any AgentClock, logger: Logger,
                stop: StopSignal = StopSignal(), timing: Timing = Timing(), lock: StateLock? = nil,
                alarms: (any AlarmSource)? = nil, checkpoint: @escaping (String) -> Void = { _ in }) {
        self.alarms = alarms
        self.settings = settings
        self.silo = silo
        self.trust = trust
        self.journal = journal
        self.bucket = bucket
        self.store = store
        self.reporter = reporter
        self.stackServices = stacks
        self.artifacts = artifacts
        self.clock = clock
        self.logger = logger
        self.stop = stop
        self.timing = timing
        self.lock = lock
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

    /// The agent of `ferry agent`: takes the state folder (refused with `.locked` while
    /// another agent holds it), opens the journal, resolves the silo name, and talks to
    /// S3 and CloudFormation over HTTP, on the wall clock (`stop`).
    ///
    /// - Parameters:
    ///   - bucketConfig: the agent's own identity: bucket reads, status writes, the silo name.
    ///   - checkpoint: called with `<step>:<begin|end>` after each journalled step and with
    ///     `downloaded` / `unpacked` (the test hook `FERRY_TEST_KILL_AT` kills the process there).
    public static func live(settings: AgentSettings, trust: TrustStore, bucketConfig: AWSConfig, logger: Logger,
                            stop: StopSignal = StopSignal(), timing: Timing = Timing(),
                            checkpoint: @escaping (String) -> Void = { _ in }) throws(AgentError) -> Agent {
        let lock = try StateLock(stateDirectory: settings.stateDirectory)
        let journal = try Journal(stateDirectory: settings.stateDirectory, clock: { stop.now() })
        let silo = try resolveSilo(settings: settings, config: bucketConfig)
        let deployConfig = settings.deployRoleArn.map { bucketConfig.assumingRole(arn: $0, sessionName: "ferry-agent") }
            ?? bucketConfig
        let bucket = SharedBucket(s3: S3(config: bucketConfig), name: settings.bucket,
                                  layout: BucketLayout(prefix: settings.prefix))
        let store = ReleaseStore(bucket: bucket, trust: trust, root: settings.stateDirectory + "/releases",
                                 limits: settings.limits, checkpoint: checkpoint)
        let reporter = StatusReporter(bucket: bucket, journal: journal, silo: silo, settings: settings)
        let roleARN = settings.cloudFormationRoleArn
        return Agent(
            settings: settings, silo: silo, trust: trust, journal: journal, bucket: bucket, store: store,
            reporter: reporter,
            stacks: { region in
                var config = deployConfig
                config.region = region ?? deployConfig.region
                return CloudFormationStacks(config: config, roleARN: roleARN)
            },
            artifacts: SiloArtifacts.live(settings: settings, bucket: bucket, config: bucketConfig),
            clock: stop, logger: logger, stop: stop, timing: timing, lock: lock,
            alarms: CloudWatchAlarms(config: bucketConfig), checkpoint: checkpoint)
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
            timedTick()
            clock.sleep(seconds: settings.interval * Double.random(in: 0.9...1.1))
        }
        reportStopped()
        logger.notice("agent stopped at a safe point", metadata: ["signal": "\(stop.requestedBy ?? "none")"])
    }

    /// Reports every pipeline `stopped` (after a stop was asked for): `ferry status` then
    /// shows the silo stopped at once, not `in-sync` until the report goes stale.
    public func reportStopped() {
        for pipeline in settings.pipelines { report(pipeline, stop: .stopped) }
    }

    /// `ferry agent once`: resumes deployments in flight, then one tick. Per pipeline the
    /// tick's outcome, or the resumed deployment's when the tick was idle; a resumed
    /// deployment that failed is kept beside a busy tick's outcome.
    public func once() -> [PipelineOutcome] {
        logger.debug("agent once", metadata: startMetadata)
        let resumed = resumeInFlight()
        var outcomes = timedTick()
        for earlier in resumed {
            guard let index = outcomes.firstIndex(where: { $0.pipeline == earlier.pipeline }) else { continue }
            if outcomes[index].kind == .idle {
                outcomes[index] = earlier
            } else if earlier.isProblem {
                outcomes.insert(earlier, at: index)
            }
        }
        if stop.isRequested, !stopIsPause { reportStopped() }
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

    /// `tick()`, timed and handed to `onReconcile`.
    @discardableResult
    func timedTick() -> [PipelineOutcome] {
        let start = clock.now()
        let outcomes = tick()
        let end = clock.now()
        onReconcile(outcomes, end.timeIntervalSince(start), end)
        return outcomes
    }

    /// One reconcile of every pipeline.
    public func tick() -> [PipelineOutcome] {
        settings.pipelines.map { pipeline in
            guard !stop.isRequested else { return PipelineOutcome(pipeline: pipeline, kind: .interrupted) }
            let outcome = guarded(pipeline) { try reconcile(pipeline) } ?? PipelineOutcome(pipeline: pipeline, kind: .idle)
            if [.idle, .unchanged, .applied].contains(outcome.kind) { checkDriftIfDue(pipeline) }
            return outcome
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
        let applier = Applier(journal: journal, clock: clock, timing: timing,
                templateURL: { [artifacts] sha256, region in try artifacts.templateURL(sha256: sha256, region: region) },
                services: { [unowned self] region in stackService(region: region) },
                rollbackTriggers: { [unowned self] plan, region in try rollbackTriggers(for: plan, region: region) },
                onChange: { [unowned self] _ in report(pipeline) },
                onEvent: { [logger] event in
                    logger.info("\(event.stack) \(event.logicalResourceId) \(event.status)\(event.reason.map { ": \($0)" } ?? "")", metadata: [
                            "pipeline": "\(pipeline)", "stack": "\(event.stack)", "resource": "\(event.logicalResourceId)",
                            "status": "\(event.status)", "eventTime": "\(event.time)"])
                },
                stopRequested: { [stop] in stop.isRequested })
        applier.onChangeSet = { [unowned self] stack, changeSet in
            changeSets[pipeline, default: [:]][stack] = changeSet.changes
        }
        return applier
    }

    /// The CloudFormation of `region` (nil: the agent's), made once per region.
    func stackService(region: String?) -> any StackService {
        let key = region ?? ""
        if let service = services[key] { return service }
        let service = stackServices(region)
        services[key] = service
        return service
    }

    /// Whether this process has reported `pipeline` yet.
    func hasReported(_ pipeline: String) -> Bool { reported.contains(pipeline) }

    /// Writes the report of `pipeline` if it changed; a failure is logged (and the tick's
    /// outcome says so), never fatal.
    @discardableResult
    func report(_ pipeline: String, refusals: [AgentError] = [], stop: StatusReport.State? = nil) -> AgentError? {
        do {
            if let report = try reporter.update(pipeline: pipeline, refusals: refusals, stop: stop, now: clock.now()) {
                logger.debug("status written", metadata: ["pipeline": "\(pipeline)", "state": "\(report.state.rawValue)"])
            }
            reported.insert(pipeline)
            return nil
        } catch {
            logger.warning("\(error.message)", metadata: ["pipeline": "\(pipeline)"])
            return error
        }
    }
}
