/// What a silo's agent last did (`ferry.status/v1`), written by the agent to
/// `status/<pipeline>/<silo>.json` after every tick that changed something, and read by
/// on-call (`ferry status`). Not signed: it is a report, never an instruction.
/// Absent optional fields are left out of the JSON.
public struct StatusReport: FerryDocument, Equatable {
    public static let kind = "status"
    public static let sizeCap = SizeCap.status
    public static let what = "the status report"

    /// Where the agent stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// `applied` is the target and every stack is healthy.
        case inSync = "in-sync"
        /// Moving to `target` now.
        case deploying
        /// The target failed to apply; stacks were rolled back; see `error`.
        case failed
        /// The pointer, pin, manifest or bundle was refused (bad signature, replay...); see `error`.
        case refused
        /// The pointer (or pin) in force has expired (`expiresAt` passed) and no newer one
        /// came: the agent keeps running what it runs and takes nothing new until a fresh
        /// pointer is signed (`ferry refresh`, or any move). The freeze defence; see `error`.
        case expired
        /// Nothing to run yet: no release has been published to the channel (nor pinned
        /// for this silo). `error`, when present, says what the agent found (`noPointer`).
        case waiting
        /// The agent's settings name nothing that exists, or it may not read it (no such
        /// pipeline in the bucket, access denied); see `error` for which and what to do.
        case misconfigured
        /// Asked to stop (SIGTERM/SIGINT) in the middle of a deployment: it stops at the
        /// next safe point and the deployment resumes at the next start. Followed by
        /// `stopped`; a report left at `stopping` means the process ended before that.
        case stopping
        /// The agent stopped cleanly (SIGTERM/SIGINT) and writes no more reports until it
        /// starts again; `target`/`applied` are as they were.
        case stopped
    }

    /// Why the agent failed or refused.
    public struct Failure: Codable, Sendable, Equatable {
        /// A stable code to sort on (`badSignature`, `expired`, `UPDATE_ROLLBACK_FAILED`...).
        public var code: String
        public var message: String
        /// The stack or resource at fault, when there is one.
        public var resource: String?

        public init(code: String, message: String, resource: String? = nil) {
            self.code = code
            self.message = message
            self.resource = resource
        }
    }

    /// One CloudFormation stack event, as the agent saw it.
    public struct Event: Codable, Sendable, Equatable {
        /// RFC 3339 UTC; fractions of a second allowed.
        public var time: String
        public var stack: String
        /// The logical resource id, when the event is about a resource.
        public var resource: String?
        /// `UPDATE_COMPLETE`, `CREATE_FAILED`...
        public var status: String
        public var reason: String?

        public init(time: String, stack: String, resource: String? = nil, status: String, reason: String? = nil) {
            self.time = time
            self.stack = stack
            self.resource = resource
            self.status = status
            self.reason = reason
        }
    }

    public var schema: String
    public var pipeline: String
    public var silo: String
    /// The channel the silo follows.
    public var channel: String
    /// Whether a pin (not the channel) chose the target.
    public var pinned: Bool
    /// The version the agent is moving to, or last moved to.
    public var target: SemVer?
    /// The version whose stacks are applied and healthy.
    public var applied: SemVer?
    public var state: State
    public var error: Failure?
    /// When this report was written, RFC 3339 UTC.
    public var reportedAt: String
    /// When the deploy of `target` started and finished, RFC 3339 UTC.
    public var startedAt: String?
    public var finishedAt: String?
    /// The agent's poll interval: on-call expects a new report within about this long.
    public var intervalSeconds: Int
    /// The longest an idle agent stays silent: it writes its report again at least this
    /// often even when nothing changed, so on-call can tell a silent silo from a quiet one.
    /// Absent in reports of agents without a heartbeat.
    public var heartbeatSeconds: Int?
    /// The last few stack events, oldest first.
    public var events: [Event]
    /// The serial of the pointer or pin that named `target`.
    public var targetSerial: Int?
    /// The silo's wave (0-based) in its channel's rollout, when the channel has one: the
    /// rollout controller groups the reports by it.
    public var wave: Int?
    /// The silo's health after applying `applied` under the channel's health gate
    /// (`rollout.health`): baking, healthy or unhealthy, naming the alarms. Absent without
    /// a gate, and in reports of agents that predate health gates.
    public var health: SiloHealth?
    /// What the agent's last drift detection found (`drift: report | revert`); absent when
    /// drift detection is off or has not run (`StatusReport+Drift.swift`).
    public var drift: Drift?

    public init(pipeline: String, silo: String, channel: String, pinned: Bool = false, target: SemVer? = nil,
                applied: SemVer? = nil, state: State, error: Failure? = nil, reportedAt: String,
                startedAt: String? = nil, finishedAt: String? = nil, intervalSeconds: Int, events: [Event] = [],
                targetSerial: Int? = nil, heartbeatSeconds: Int? = nil, wave: Int? = nil,
                health: SiloHealth? = nil, schema: String = StatusReport.currentSchema) {
        self.schema = schema
        self.pipeline = pipeline
        self.silo = silo
        self.channel = channel
        self.pinned = pinned
        self.target = target
        self.applied = applied
        self.state = state
        self.error = error
        self.reportedAt = reportedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.intervalSeconds = intervalSeconds
        self.events = events
        self.targetSerial = targetSerial
        self.heartbeatSeconds = heartbeatSeconds
        self.wave = wave
        self.health = health
    }

    public func validate() throws(ManifestError) {
        try Check.name(pipeline, "pipeline", as: "pipeline")
        try Check.name(silo, "silo", as: "silo")
        try Check.name(channel, "channel", as: "channel")
        try Check.timestamp(reportedAt, "reportedAt")
        if let startedAt { try Check.timestamp(startedAt, "startedAt") }
        if let finishedAt { try Check.timestamp(finishedAt, "finishedAt") }
        try Check.nonNegative(intervalSeconds, "intervalSeconds")
        if let heartbeatSeconds { try Check.nonNegative(heartbeatSeconds, "heartbeatSeconds") }
        if let wave { try Check.nonNegative(wave, "wave") }
        if let health {
            try Check.timestamp(health.bakeStartedAt, "health.bakeStartedAt")
            try Check.nonNegative(health.bakeSeconds, "health.bakeSeconds")
        }
        try drift?.validate()
        if [.failed, .refused, .misconfigured, .expired].contains(state) && error == nil {
            throw ManifestError(.missingField, "a status report in the state \(state.rawValue) must say why in `error`",
                                field: "error")
        }
        for (index, event) in events.enumerated() {
            try Check.timestamp(event.time, "events[\(index)].time")
        }
    }
}
