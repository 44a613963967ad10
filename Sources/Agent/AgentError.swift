import Bucket

/// Why the agent stopped, sorted by what to do next (a person acts, wait and retry,
/// or retry soon because the network or the service hiccupped).
///
/// One struct for the whole module: a `code` to switch on, a `message` that says what to
/// do, the stack or resource at fault, and the underlying cause. Messages never carry
/// secrets.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// What to do next.
    public enum NextStep: Sendable, Equatable {
        /// A person must act: a bad signature, `UPDATE_ROLLBACK_FAILED`, a stack held by
        /// someone else for too long. The agent keeps running what runs.
        case needsPerson
        /// Something is in progress (a stack someone else is updating): try again later.
        case waitAndRetry(after: Double)
        /// The network, an HTTP 5xx or throttling: retry soon, with backoff.
        case transient
    }

    /// What kind of failure this is. Compare with the static members: `error.code == .stackBusy`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case refused, replay, serialReused, expired, wrongDocument, pinMissing
            case stackFailed, changeSetFailed, stackNeedsPerson, stackBusy, stackVanished
            case revertFailed, rejected, service, template, plan, journal, locked, interrupted, configuration
            case noSuchBucket, noSuchPipeline, accessDenied, noPointer
            case quarantined, waitingForWave
        }
        private let storage: Storage
        private init(_ storage: Storage) { self.storage = storage }
        public var description: String { storage.rawValue }

        /// The code spelled `text` (`stackFailed`); nil for a spelling this ferry does not know.
        public init?(_ text: String) {
            guard let storage = Storage(rawValue: text) else { return nil }
            self.storage = storage
        }

        // Documents (target selection).
        /// A pointer, pin or manifest failed verification (signature, schema, issuer).
        public static let refused = Code(.refused)
        /// A pointer or pin whose serial is below the last one accepted.
        public static let replay = Code(.replay)
        /// A pointer or pin that repeats the last accepted serial with other bytes.
        public static let serialReused = Code(.serialReused)
        /// A pointer whose `expiresAt` has passed (freeze defence).
        public static let expired = Code(.expired)
        /// A pointer or pin for another pipeline, channel or silo.
        public static let wrongDocument = Code(.wrongDocument)
        /// The pin in force disappeared from the bucket without a signed unpin: it stays in force.
        public static let pinMissing = Code(.pinMissing)
        /// The release named is quarantined by the channel's rollout: never applied.
        public static let quarantined = Code(.quarantined)
        /// The channel's release waits for this silo's wave to open (reported `waiting`).
        public static let waitingForWave = Code(.waitingForWave)

        // Stacks (the deploy state machine).
        /// A stack operation failed and CloudFormation rolled that stack back.
        public static let stackFailed = Code(.stackFailed)
        /// CloudFormation could not create a change set (status `FAILED`, not "no changes").
        public static let changeSetFailed = Code(.changeSetFailed)
        /// A stack is in a state only a person can leave (`UPDATE_ROLLBACK_FAILED`...).
        public static let stackNeedsPerson = Code(.stackNeedsPerson)
        /// Someone else's operation is running on the stack.
        public static let stackBusy = Code(.stackBusy)
        /// The stack disappeared while the agent was updating it.
        public static let stackVanished = Code(.stackVanished)
        /// Returning moved stacks to the previous release failed: the silo is half-moved.
        public static let revertFailed = Code(.revertFailed)

        // The I/O around it.
        /// CloudFormation refused a request as invalid (a `ValidationError` other than
        /// "No updates are to be performed"): a bad template or parameter.
        public static let rejected = Code(.rejected)
        /// A call to AWS failed: network, HTTP 5xx, throttling, access denied.
        public static let service = Code(.service)
        /// A template file is missing or its bytes do not match the manifest.
        public static let template = Code(.template)
        /// The release cannot be planned: a dependency cycle, an unknown stack.
        public static let plan = Code(.plan)
        /// The journal (SQLite) failed.
        public static let journal = Code(.journal)
        /// Another agent holds the state folder.
        public static let locked = Code(.locked)
        /// The agent was asked to stop (SIGTERM, SIGINT) and stopped at a safe point; a
        /// deployment in flight stays in the journal and resumes at the next start.
        public static let interrupted = Code(.interrupted)
        /// The agent's settings are missing or wrong (a flag, the YAML file, FERRY_*).
        public static let configuration = Code(.configuration)

        // What the bucket says about the settings (`judgeAbsence`).
        /// The bucket the agent names does not exist (S3 `NoSuchBucket`).
        public static let noSuchBucket = Code(.noSuchBucket)
        /// No release of the pipeline the agent names is in the bucket.
        public static let noSuchPipeline = Code(.noSuchPipeline)
        /// S3 denied a read the agent needs (`AccessDenied`): the bucket policy or its role.
        public static let accessDenied = Code(.accessDenied)
        /// The channel pointer is absent: nothing published yet, or it was deleted.
        public static let noPointer = Code(.noPointer)
    }

    public let code: Code
    /// What went wrong and what to do next, for a person.
    public let message: String
    public let next: NextStep
    /// The stack or the stack's resource at fault (`stack/LogicalId`), when there is one.
    public let resource: String?
    /// The underlying error, when there is one (an SQLite or HTTP failure).
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, next: NextStep, resource: String? = nil,
                cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.next = next
        self.resource = resource
        self.cause = cause
    }

    public var description: String {
        var text = message
        // A cause whose text the message already carries is not repeated.
        if let cause, !message.contains("\(cause)") { text += " (cause: \(cause))" }
        return text
    }

    /// Errors from a `StackService` as the agent sorts them: an `AgentError` as it is,
    /// anything else as transient (retry with backoff).
    public static func sorting(_ error: any Error, doing what: String) -> AgentError {
        if let error = error as? AgentError { return error }
        return AgentError(.service, "\(what) failed: \(error); the agent retries", next: .transient, cause: error)
    }
}

/// A code is saved as its name (`"stackFailed"`); an unknown name is refused, never defaulted.
extension AgentError.Code: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not a failure code this ferry knows"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension AgentError: Equatable {
    /// Equal when code, message, next step and resource are equal (the cause is not compared).
    public static func == (lhs: AgentError, rhs: AgentError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.next == rhs.next && lhs.resource == rhs.resource
    }
}

/// A failure as the journal stores it and the status report shows it.
public struct FailureRecord: Codable, Sendable, Equatable {
    /// What to do next, as the journal spells it.
    public enum Next: String, Codable, Sendable {
        case needsPerson = "needs-person"
        case wait
        case transient
    }

    public var code: AgentError.Code
    public var message: String
    public var resource: String?
    public var next: Next

    public init(code: AgentError.Code, message: String, resource: String? = nil, next: Next) {
        self.code = code
        self.message = message
        self.resource = resource
        self.next = next
    }

    public init(_ error: AgentError) {
        self.code = error.code
        self.message = error.message
        self.resource = error.resource
        switch error.next {
        case .needsPerson: next = .needsPerson
        case .waitAndRetry: next = .wait
        case .transient: next = .transient
        }
    }
}

extension AgentError {
    /// A failed bucket call (`doing`: "reading X", "writing Y"): transient failures
    /// (network, throttling) are retried by the agent; anything else is a person's job.
    static func bucket(_ error: BucketError, _ doing: String) -> AgentError {
        error.isTransient
            ? AgentError(.service, "\(doing) failed: \(error); the agent tries again", next: .transient, cause: error)
            : AgentError(.service, "\(doing) failed: \(error); check the agent's access to the bucket (the bucket "
                + "policy and the agent's role)", next: .needsPerson, cause: error)
    }
}
