import Dispatch
import Foundation
import Logging
import Manifest

/// `ferry agent lambda`: the agent as a Lambda function's own runtime. It asks the Runtime
/// API for invocations and, per invocation, asks the agent for a tick that only reads
/// (`Agent.idleCheck`), over the journal it holds (a cold environment first makes its local
/// journal the bucket's: `StateStore.sync`, a conditional GET). Idle: it answers, having
/// written nothing and taken no lock. Else it
/// takes the silo's lock (`StateLease`), syncs again (another environment may have written
/// since), runs one reconcile (`Agent.once`: resume what is in flight, then one tick) that
/// stops at a safe point before the invocation's deadline, uploads the journal after every
/// journalled step (before the next CloudFormation call) and at the end, releases the lock
/// and answers. It stays warm between invocations, and so does its agent, as long as the
/// local journal is the bucket's (its memory: the pin's read time, the reports written).
public final class LambdaHost {
    /// Builds the environment's agent over the local journal: `stop` ends a run at a safe
    /// point, `checkpoint` is called after each journalled step (`<step>:<phase>`).
    public typealias AgentFactory = (_ stop: StopSignal, _ checkpoint: @escaping (String) -> Void) throws(AgentError) -> Agent

    let runtime: LambdaRuntimeClient
    let state: StateStore
    let lease: StateLease
    let makeAgent: AgentFactory
    let logger: Logger
    /// This execution environment (random, per process): the lock's owner with the request id.
    public let environmentId: String
    /// How long past the invocation's deadline the lock counts as held (clock skew between
    /// environments; a frozen or killed environment runs nothing after its deadline).
    let lockGrace: TimeInterval
    /// Test hooks: asked at each checkpoint (kill the process, ask for a stop there, or
    /// hold there until the test lets it go).
    let testKill: (String) -> Void
    let testStop: (String) -> Bool
    let testHold: (String) -> Void
    /// The agent over the local journal, while that journal is the bucket's.
    private var warm: Warm?

    public init(runtime: LambdaRuntimeClient, state: StateStore, lease: StateLease, logger: Logger,
                lockGrace: TimeInterval = 30, testKill: @escaping (String) -> Void = { _ in },
                testStop: @escaping (String) -> Bool = { _ in false }, testHold: @escaping (String) -> Void = { _ in },
                makeAgent: @escaping AgentFactory) {
        self.runtime = runtime
        self.state = state
        self.lease = lease
        self.logger = logger
        self.lockGrace = lockGrace
        self.testKill = testKill
        self.testStop = testStop
        self.testHold = testHold
        self.makeAgent = makeAgent
        environmentId = String((0..<12).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }

    /// Serves invocations until the Runtime API fails (Lambda then starts the function again).
    public func serve() throws(AgentError) {
        logger.notice("agent lambda started", metadata: ["environment": "\(environmentId)", "api": "\(runtime.base)"])
        while true {
            let invocation = try runtime.next()
            let answer = handle(invocation)
            switch answer {
            case .response(let body): try runtime.respond(invocation, body: body)
            case .failure(let error):
                try runtime.fail(invocation, type: "Ferry.\(error.code)", message: error.message)
            }
        }
    }

    /// What an invocation answers: a response (its outcomes), or an error (it could not run).
    public enum Answer: Sendable {
        case response(Data)
        case failure(AgentError)
    }

    /// One invocation: sync and look (read only); when not idle, lock, sync, reconcile until
    /// a safe point before the deadline, upload, unlock.
    public func handle(_ invocation: LambdaInvocation) -> Answer {
        let started = Date()
        // A warm agent looks at its own journal, without the bucket's (see `idleCheck`).
        let looked: StateStore.Sync?
        do {
            looked = warm == nil ? try sync() : nil
            let warm = try agent()
            warm.stop.reset()
            do {
                if let outcomes = try warm.agent.idleCheck() {
                    return .response(Self.body(lock: "none", holder: nil, state: looked.map { "\($0)" } ?? "warm",
                                               outcomes: outcomes, started: started))
                }
            } catch {
                // A read that failed is the reconcile's to judge and report, under the lock.
                logger.debug("the look failed: \(error.message)", metadata: ["code": "\(error.code)"])
            }
        } catch {
            logger.error("\(error.message)", metadata: ["code": "\(error.code)"])
            return .failure(error)
        }
        let owner = "\(environmentId)/\(invocation.requestId)"
        let etag: String
        do {
            switch try lease.acquire(owner: owner, expiresAt: invocation.deadline.addingTimeInterval(lockGrace),
                                     now: Date()) {
            case .acquired(let taken): etag = taken
            case .held(let holder, let until):
                logger.warning("another environment holds the silo's lock: this invocation does nothing", metadata: [
                    "holder": "\(holder)", "until": "\(until.map { Timestamp.format($0) } ?? "unknown")"])
                return .response(Self.body(lock: "busy", holder: holder, state: looked.map { "\($0)" } ?? "warm",
                                           outcomes: [], started: started))
            }
        } catch {
            logger.error("\(error.message)", metadata: ["code": "\(error.code)"])
            return .failure(error)
        }
        defer {
            do { try lease.release(etag: etag) } catch {
                logger.warning("\(error.message)", metadata: ["code": "\(error.code)"])
            }
        }
        do {
            // Another environment may have written the journal since the look.
            let locked = try sync()
            let outcomes = try reconcile(invocation, warm: try agent())
            return .response(Self.body(lock: "acquired", holder: nil, state: "\(locked == .unchanged ? looked ?? locked : locked)",
                                       outcomes: outcomes, started: started))
        } catch {
            warm = nil
            logger.error("\(error.message)", metadata: ["code": "\(error.code)"])
            return .failure(error)
        }
    }

    /// `StateStore.sync`, closing the warm agent first when the local journal is replaced.
    private func sync() throws(AgentError) -> StateStore.Sync {
        let result = try state.sync { warm = nil }
        if result != .unchanged { warm = nil }
        return result
    }

    /// The warm agent, or a new one over the local journal (which then came from the bucket:
    /// its release folders are fetched again under the lock, `Agent.rehydrate`).
    private func agent() throws(AgentError) -> Warm {
        if let warm { return warm }
        let stop = StopSignal()
        let uploads = Uploads(state: state, logger: logger)
        let agent = try makeAgent(stop) { [testKill, testStop, testHold] name in
            testKill(name)
            if name.contains(":"), !uploads.push(), !stop.isRequested {
                stop.request(because: "another environment wrote the journal")
            }
            testHold(name)
            if testStop(name) { stop.request(because: "the test hook FERRY_TEST_STOP_AT") }
        }
        agent.stopIsPause = true
        uploads.journal = agent.journal
        let made = Warm(agent: agent, stop: stop, uploads: uploads, rehydrate: state.exists)
        warm = made
        return made
    }

    /// The invocation's reconcile: one `once`, stopped at a safe point before the deadline or
    /// when the bucket's journal turns out to be another environment's.
    private func reconcile(_ invocation: LambdaInvocation, warm: Warm) throws(AgentError) -> [PipelineOutcome] {
        let stop = warm.stop
        stop.reset()
        warm.uploads.conflict = nil
        let remaining = invocation.deadline.timeIntervalSinceNow
        let margin = min(10, max(0, remaining) / 4)
        let deadline = DispatchWorkItem { stop.request(because: "the invocation's deadline") }
        DispatchQueue.global().asyncAfter(wallDeadline: .now() + max(0, remaining - margin), execute: deadline)
        defer { deadline.cancel() }

        if warm.rehydrate {
            warm.agent.rehydrate()
            warm.rehydrate = false
        }
        let outcomes = warm.agent.once()
        if !warm.uploads.push() {
            throw warm.uploads.conflict ?? AgentError(.journal, "the journal could not be uploaded", next: .transient)
        }
        if let conflict = warm.uploads.conflict { throw conflict }
        return outcomes
    }

    static func body(lock: String, holder: String?, state: String?, outcomes: [PipelineOutcome], started: Date) -> Data {
        var object: [String: Any] = ["lock": lock, "millis": Int(Date().timeIntervalSince(started) * 1000)]
        if let holder { object["holder"] = holder }
        if let state { object["state"] = state }
        object["outcomes"] = outcomes.map { outcome -> [String: String] in
            var item = ["pipeline": outcome.pipeline, "outcome": outcome.kind.rawValue]
            if let target = outcome.target { item["target"] = target.description }
            if let error = outcome.error { item["error"] = error.message; item["code"] = error.code.description }
            return item
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}

/// The agent an execution environment keeps between invocations, with its stop signal
/// (reset per invocation) and its uploads.
private final class Warm {
    let agent: Agent
    let stop: StopSignal
    let uploads: Uploads
    /// The journal came from the bucket: fetch its release folders again before the next reconcile.
    var rehydrate: Bool

    init(agent: Agent, stop: StopSignal, uploads: Uploads, rehydrate: Bool) {
        self.agent = agent
        self.stop = stop
        self.uploads = uploads
        self.rehydrate = rehydrate
    }
}

/// Uploads the journal when it changed since the last upload (`total_changes()` of the
/// agent's connection); remembers a conflict (412) and refuses every later upload of the
/// invocation.
private final class Uploads {
    let state: StateStore
    let logger: Logger
    weak var journal: Journal?
    private var uploadedAt: Int64 = 0
    var conflict: AgentError?

    init(state: StateStore, logger: Logger) {
        self.state = state
        self.logger = logger
    }

    /// False after a conflict or a failed upload.
    func push() -> Bool {
        guard conflict == nil else { return false }
        guard let journal else { return true }
        do {
            let changes = try journal.database.query("SELECT total_changes()").first?[0].int64 ?? 0
            // A journal the bucket does not have yet is uploaded even unchanged.
            guard changes != uploadedAt || !state.exists else { return true }
            try state.upload(journal.database)
            uploadedAt = changes
            return true
        } catch let error as AgentError {
            logger.error("\(error.message)", metadata: ["code": "\(error.code)"])
            conflict = error
            return false
        } catch {
            let problem = AgentError(.journal, "cannot read the journal's change count: \(error)", next: .transient)
            logger.error("\(problem.message)")
            conflict = problem
            return false
        }
    }
}

extension Agent {
    /// After a cold start (the journal came from the bucket, /tmp is empty): fetches and
    /// verifies again the release folders the journal needs — the deployment in flight's
    /// and the release applied last (what a failed deployment returns stacks to) — at the
    /// paths the journal names. A failure is logged: the deployment then suspends with it.
    func rehydrate() {
        for pipeline in settings.pipelines {
            do {
                if let flying = try journal.inFlight(pipeline: pipeline),
                   !FileManager.default.fileExists(atPath: flying.plan.folder) {
                    logger.notice("fetching the release in flight again (a fresh environment)",
                                  metadata: ["pipeline": "\(pipeline)", "version": "\(flying.plan.target.version)"])
                    _ = try makePlan(pipeline, target: flying.plan.target)
                }
                if let applied = try journal.lastApplied(pipeline: pipeline),
                   !FileManager.default.fileExists(atPath: applied.folder) {
                    _ = try makePlan(pipeline, target: applied.target)
                }
            } catch {
                logger.warning("cannot fetch a release folder again: \(error.message)", metadata: ["pipeline": "\(pipeline)"])
            }
        }
    }
}
