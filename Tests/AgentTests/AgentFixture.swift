import Agent
import Basics
import Bucket
import Foundation
import Logging
import Manifest
import TestSupport

/// A clock whose sleeps return at once and move time on.
final class ManualClock: AgentClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var total: Double = 0

    init(_ start: Date = Date(timeIntervalSince1970: 1_714_564_800)) { current = start }

    func now() -> Date { lock.withLock { current } }

    func sleep(seconds: Double) {
        lock.withLock {
            current = current.addingTimeInterval(seconds)
            total += seconds
        }
    }

    func advance(_ seconds: Double) { lock.withLock { current = current.addingTimeInterval(seconds) } }

    var slept: Double { lock.withLock { total } }
}

/// The comment line that makes a stack's operation fail on `resource` (MemoryStacks' marker).
func failMarker(_ reason: String, resource: String = "Queue", rollbackFails: Bool = false) -> String {
    "# FerryTestFailure: {resource: \(resource), reason: \"\(reason)\"\(rollbackFails ? ", rollbackFails: true" : "")}"
}

/// The comment line that makes a stack's change set FAILED with `reason`.
func invalidMarker(_ reason: String) -> String { "# FerryTestInvalid: \"\(reason)\"" }

/// One stack of a test release.
struct StackDraft {
    var name: String
    var template: String
    var parameters: [String: String] = [:]
    var tags: [String: String] = [:]
    var dependsOn: [String] = []
}

/// A queue template; `marker` adds comment lines (e.g. `failMarker("boom")`).
func queueTemplate(_ queueName: String, _ marker: String = "") -> String {
    """
    AWSTemplateFormatVersion: '2010-09-09'
    \(marker)
    Resources:
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: \(queueName)

    """
}

/// One silo: its state folder, the scripted CloudFormation it deploys to, its clock.
final class Silo {
    let directory: TemporaryDirectory
    let clock = ManualClock()
    let cloud: ScriptedCloudFormation
    let pipeline = "webapp"

    init() throws {
        directory = try TemporaryDirectory("ferry-agent")
        cloud = ScriptedCloudFormation(clock: clock)
    }

    var stateDirectory: String { directory.url("state") }

    /// Writes a release's templates into its own folder and plans it.
    func release(_ version: String, serial: Int, source: TargetSource = .channel("stable"), _ stacks: [StackDraft],
                 overrides: [String: [String: String]] = [:]) throws -> DeployPlan {
        let folder = directory.url("releases/\(version)-\(source.storageName)-\(serial)")
        var files: [Manifest.File] = []
        var manifestStacks: [Manifest.Stack] = []
        for stack in stacks {
            let path = "templates/\(stack.name).yaml"
            try directory.write("releases/\(version)-\(source.storageName)-\(serial)/\(path)", stack.template)
            let bytes = Data(stack.template.utf8)
            files.append(Manifest.File(path: path, size: bytes.count, sha256: sha256Hex(bytes)))
            manifestStacks.append(Manifest.Stack(name: stack.name, template: path, parameters: stack.parameters,
                                                 tags: stack.tags, dependsOn: stack.dependsOn))
        }
        let semver = try SemVer(version)
        let manifest = Manifest(
            pipeline: pipeline, version: semver, createdAt: "2024-05-01T12:00:00Z",
            source: .init(repository: "webapp", commit: String(repeating: "a", count: 40), author: "Dev <dev@example.com>",
                          subject: "release \(version)"),
            stacks: manifestStacks, files: files)
        try manifest.validate()
        let manifestSha = sha256Hex(try manifest.canonicalBytes())
        let target = Target(source: source, serial: serial, version: semver, manifestSha256: manifestSha,
                            bundleSha256: sha256Hex(Data("bundle \(version)".utf8)))
        return try DeployPlan.make(manifest: manifest, target: target, folder: folder, overrides: overrides)
    }

    /// A fresh journal connection, as a restarted agent opens it.
    func journal() throws -> Journal {
        let clock = self.clock
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        return try Journal(stateDirectory: stateDirectory, clock: { clock.now() })
    }

    func applier(_ journal: Journal, timing: Timing = Timing(), onChange: @escaping (DeploymentState) -> Void = { _ in })
        -> Applier {
        Applier(journal: journal, clock: clock, timing: timing,
                templateURL: { sha256, _ in "https://bucket.s3.amazonaws.com/ferry/artifacts/sha256/\(sha256)" },
                services: { [cloud] _ in cloud }, onChange: onChange)
    }

    /// Applies `plan` with a fresh journal connection and Applier (a restarted agent).
    func apply(_ plan: DeployPlan, timing: Timing = Timing()) throws -> DeployOutcome {
        try applier(try journal(), timing: timing).apply(plan)
    }

    /// Applies `plan` to `service` (e.g. a `MemoryStacks`) with a fresh journal connection and Applier.
    func apply(_ plan: DeployPlan, on service: any StackService, timing: Timing = Timing()) throws -> DeployOutcome {
        try Applier(journal: try journal(), clock: clock, timing: timing,
                    templateURL: { sha256, _ in "https://bucket.s3.amazonaws.com/ferry/artifacts/sha256/\(sha256)" },
                    services: { _ in service }).apply(plan)
    }

    /// The status report the journal of this silo gives now (as `StatusReporter` builds it).
    func report() throws -> StatusReport {
        let journal = try journal()
        return StatusBuilder.report(StatusFacts(
            pipeline: pipeline, silo: "silo", channel: "stable", intervalSeconds: 30, heartbeatSeconds: 1800,
            now: clock.now(), pinned: false, applied: try journal.lastApplied(pipeline: pipeline),
            latest: try journal.latestRelease(pipeline: pipeline), inFlight: try journal.inFlight(pipeline: pipeline)))
    }
}

/// The settings of test silo `s1` following `channel` of `pipeline` in `bucket`, its state
/// under `stateDirectory` (created), pins read at every tick; `adjust` sets the rest.
func siloSettings(bucket: String, stateDirectory: String, pipeline: String = "webapp", channel: String = "canary",
                  adjust: (inout AgentSettings.Layer) -> Void = { _ in }) throws -> AgentSettings {
    var flags = AgentSettings.Layer()
    flags.bucket = bucket
    flags.pipelines = [pipeline]
    flags.channel = channel
    flags.silo = "s1"
    flags.trust = ["/unused.pub=builder"]
    flags.stateDirectory = stateDirectory
    flags.pinInterval = "0"
    adjust(&flags)
    let settings = try AgentSettings.resolve(flags: flags)
    try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
    return settings
}

/// The whole agent of silo `s1` with `settings`, over `bucket`: its journal on `clock`, its
/// releases and artifacts under its state folder, CloudFormation `stacks`.
func siloAgent(_ settings: AgentSettings, bucket: SharedBucket, stacks: any StackService, clock: ManualClock,
               logger: Logger, alarms: (any AlarmSource)? = nil, stop: StopSignal = StopSignal()) throws -> Agent {
    let journal = try Journal(stateDirectory: settings.stateDirectory, clock: { [clock] in clock.now() })
    return Agent(settings: settings, silo: "s1", trust: ReleaseFixture.trust, journal: journal, bucket: bucket,
                 store: ReleaseStore(bucket: bucket, trust: ReleaseFixture.trust,
                                     root: settings.stateDirectory + "/releases", limits: settings.limits),
                 reporter: StatusReporter(bucket: bucket, journal: journal, silo: "s1", settings: settings),
                 stacks: { _ in stacks },
                 artifacts: SiloArtifacts(sharedBucket: bucket.name, scratch: settings.stateDirectory + "/artifacts",
                                          fetch: SiloArtifacts.fetching(from: bucket),
                                          destination: { _ throws(AgentError) in nil }),
                 clock: clock, logger: logger, stop: stop, alarms: alarms)
}

/// A logger whose JSON lines go to `log`.
func capturingLogger(_ label: String, into log: LogCapture) -> Logger {
    Logger(label: label) { _ in LogLineHandler(format: .json, level: .debug, output: { line in log.append(line) }) }
}
