import Archive
import Foundation
import Manifest

/// Everything `ferry agent run` / `once` is configured with, after flags, the YAML file
/// and `FERRY_*` environment were merged (flags win over the file, the file over the
/// environment; see `AgentSettings.Layer`). Pure: reading the file and the key files is
/// the command line's job.
public struct AgentSettings: Equatable, Sendable {
    /// The shared release bucket.
    public var bucket: String
    /// The key prefix in the bucket (`ferry/`; a missing slash is added).
    public var prefix: String
    public var pipelines: [String]
    public var channel: String
    /// This silo's name in pins and reports; nil: `<account id>-<region>` of the agent.
    public var silo: String?
    /// Trusted public keys, `FILE.pub=ROLE[,ROLE]` (every key names its roles).
    public var trust: [String]
    public var stateDirectory: String
    /// Seconds between ticks of `agent run` (jittered by ±10 %).
    public var interval: Double
    /// Seconds between reads of the silo's pin in `agent run` (the channel pointer is read
    /// every tick). `agent once` always reads both.
    public var pinInterval: Double
    /// Seconds an idle agent may stay silent: it rewrites its status report this often
    /// (at the first tick after; so never more often than the interval).
    public var heartbeat: Double
    /// A role the agent assumes for stack operations (bucket reads keep its own identity).
    public var deployRoleArn: String?
    /// A service role CloudFormation acts as (`RoleARN` of CreateChangeSet, DeleteStack).
    public var cloudFormationRoleArn: String?
    /// The silo's own artifact bucket (one per account and region; `{region}` in the name
    /// is replaced by a stack's region): the agent copies each verified artifact there and
    /// deploys templates that point there, never into the shared bucket (docs/security.md).
    public var artifactBucket: String?
    /// Each stack `S` of a release is deployed as the CloudFormation stack `<stackPrefix>S`.
    public var stackPrefix: String
    /// This silo's parameter overrides, per stack (the manifest's stack name) and key.
    public var parameters: [String: [String: String]]
    /// This silo's tags, which a channel's rollout waves may select on (`tags:` in the file).
    public var tags: [String: String] = [:]
    /// Drift detection: off, report or revert; how often; which resource types to leave out.
    public var drift = DriftSettings()
    public var limits: ExtractLimits
    public var logFormat: LogFormat
    public var logLevel: String
    /// AWS settings from the file (flags and AWS_* are read by the AWS module).
    public var region: String?
    public var profile: String?
    public var endpointURL: String?

    /// The state folder of an agent run as root when none is set (`stateDirectoryDefault`).
    public static let defaultStateDirectory = "/var/lib/ferry"

    /// The state folder when none is set (issue 13: the README's agent command failed
    /// for a non-root user on `/var/lib/ferry`): systemd's `$STATE_DIRECTORY` (the unit's
    /// `StateDirectory=`, its first folder); else `/var/lib/ferry` for root; else
    /// `$XDG_STATE_HOME/ferry`; else `$HOME/.local/state/ferry`. Pure.
    public static func stateDirectoryDefault(userID: UInt32, environment: [String: String]) -> String {
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        if let systemd = value("STATE_DIRECTORY")?.split(separator: ":").first { return String(systemd) }
        if userID == 0 { return defaultStateDirectory }
        if let state = value("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/ferry" }
        if let home = value("HOME"), home.hasPrefix("/") { return home + "/.local/state/ferry" }
        return defaultStateDirectory
    }
    public static let defaultInterval = 30.0
    /// Pins are rare; reading one every 3 minutes instead of every tick keeps an idle silo
    /// under $0.05 a month of S3 requests (docs/agent.md, "What idling costs").
    public static let defaultPinInterval = 180.0
    public static let defaultHeartbeat = 1_800.0
}

extension AgentSettings {
    /// One source of settings; nil (or empty) means "not set here".
    public struct Layer: Equatable, Sendable {
        public var bucket: String?
        public var prefix: String?
        public var pipelines: [String]?
        public var channel: String?
        public var silo: String?
        public var trust: [String]?
        public var stateDirectory: String?
        public var interval: String?
        public var pinInterval: String?
        public var heartbeat: String?
        public var deployRoleArn: String?
        public var cloudFormationRoleArn: String?
        public var artifactBucket: String?
        public var stackPrefix: String?
        /// `STACK.KEY=VALUE` overrides are merged key by key across layers.
        public var parameters: [String: [String: String]] = [:]
        public var tags: [String: String] = [:]
        /// `off`, `report` or `revert`; a duration; resource types (`AWS::IAM::*`).
        public var drift: String?
        public var driftInterval: String?
        public var driftExclude: [String]?
        public var maxEntries: String?
        public var maxUnpackedBytes: String?
        public var maxRatio: String?
        public var logFormat: String?
        public var logLevel: String?
        public var region: String?
        public var profile: String?
        public var endpointURL: String?

        public init() {}

        /// Adds `STACK.KEY=VALUE` arguments (`--parameter`) to this layer.
        public mutating func addParameters(_ arguments: [String], from source: String) throws(AgentError) {
            for argument in arguments {
                guard let equals = argument.firstIndex(of: "="),
                      let dot = argument[..<equals].firstIndex(of: "."),
                      dot != argument.startIndex, argument.index(after: dot) != equals else {
                    throw AgentError(.configuration, "\(source): '\(argument)' is not STACK.KEY=VALUE, e.g. "
                        + "app.InstanceType=t3.small", next: .needsPerson)
                }
                let stack = String(argument[..<dot])
                let key = String(argument[argument.index(after: dot)..<equals])
                parameters[stack, default: [:]][key] = String(argument[argument.index(after: equals)...])
            }
        }
    }

    /// Merges `flags` over `file` over `environment` over the defaults, and checks the result.
    public static func resolve(flags: Layer, file: Layer = Layer(), environment: Layer = Layer(),
                               stateDirectoryDefault: String = defaultStateDirectory) throws(AgentError) -> AgentSettings {
        let layers = [flags, file, environment]
        func first<T>(_ path: KeyPath<Layer, T?>) -> T? {
            for layer in layers {
                if let value = layer[keyPath: path] {
                    if let text = value as? String, text.isEmpty { continue }
                    return value
                }
            }
            return nil
        }
        var parameters: [String: [String: String]] = [:]
        for layer in layers.reversed() {
            for (stack, values) in layer.parameters { parameters[stack, default: [:]].merge(values) { $1 } }
        }
        guard let bucket = first(\.bucket) else {
            throw missing("bucket", flag: "--bucket NAME", key: "bucket", variable: "FERRY_BUCKET")
        }
        let pipelines = first(\.pipelines) ?? []
        guard !pipelines.isEmpty else {
            throw missing("pipeline", flag: "--pipeline NAME (repeatable)", key: "pipelines", variable: "FERRY_PIPELINES")
        }
        let trust = first(\.trust) ?? []
        guard !trust.isEmpty else {
            throw missing("trusted key", flag: "--trust FILE.pub=ROLE[,ROLE]", key: "trust", variable: "FERRY_TRUST")
        }
        let defaults = ExtractLimits()
        let settings = AgentSettings(
            bucket: bucket, prefix: first(\.prefix) ?? "ferry/", pipelines: pipelines,
            channel: first(\.channel) ?? "stable", silo: first(\.silo), trust: trust,
            stateDirectory: first(\.stateDirectory) ?? stateDirectoryDefault,
            interval: try first(\.interval).map { (text) throws(AgentError) in try seconds(text, setting: "interval") }
                ?? defaultInterval,
            pinInterval: try first(\.pinInterval).map { (text) throws(AgentError) in
                try seconds(text, setting: "pin interval") } ?? defaultPinInterval,
            heartbeat: try first(\.heartbeat).map { (text) throws(AgentError) in try seconds(text, setting: "heartbeat") }
                ?? defaultHeartbeat,
            deployRoleArn: first(\.deployRoleArn), cloudFormationRoleArn: first(\.cloudFormationRoleArn),
            artifactBucket: first(\.artifactBucket),
            stackPrefix: first(\.stackPrefix) ?? "", parameters: parameters,
            limits: ExtractLimits(
                maxEntries: try first(\.maxEntries).map { (text) throws(AgentError) in
                    Int(try count(text, setting: "max-entries")) } ?? defaults.maxEntries,
                maxBytes: try first(\.maxUnpackedBytes).map { (text) throws(AgentError) in
                    try count(text, setting: "max-unpacked-bytes") } ?? defaults.maxBytes,
                maxRatio: try first(\.maxRatio).map { (text) throws(AgentError) in try ratio(text) } ?? defaults.maxRatio,
                ratioFloorBytes: defaults.ratioFloorBytes),
            logFormat: try first(\.logFormat).map { (text) throws(AgentError) in try LogFormat.parse(text) } ?? .text,
            logLevel: first(\.logLevel) ?? "info",
            region: first(\.region), profile: first(\.profile), endpointURL: first(\.endpointURL))
        var tagged = settings
        for layer in layers.reversed() { tagged.tags.merge(layer.tags) { $1 } }
        tagged.drift = try driftSettings(mode: first(\.drift), interval: first(\.driftInterval),
                                         exclude: first(\.driftExclude))
        try tagged.validate()
        return tagged
    }

    /// Checks names, roles and limits; the message says which setting to fix.
    public func validate() throws(AgentError) {
        func name(_ value: String, _ kind: String) throws(AgentError) {
            do {
                try Name.validate(value, as: kind)
            } catch {
                throw AgentError(.configuration, error.message, next: .needsPerson)
            }
        }
        for pipeline in pipelines { try name(pipeline, "pipeline") }
        try name(channel, "channel")
        if let silo { try name(silo, "silo") }
        let stackName = stackPrefix.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        guard stackName, stackPrefix.first.map({ $0.isLetter }) ?? true, stackPrefix.count <= 64 else {
            throw AgentError(.configuration, "the stack prefix '\(stackPrefix)' is not allowed: CloudFormation stack "
                + "names start with a letter and hold letters, digits and '-' (e.g. ferry-)", next: .needsPerson)
        }
        for role in [deployRoleArn, cloudFormationRoleArn].compactMap({ $0 }) where !role.hasPrefix("arn:") {
            throw AgentError(.configuration, "'\(role)' is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                             next: .needsPerson)
        }
        guard interval >= 0.1, interval <= 86_400 else {
            throw AgentError(.configuration, "the interval must be between 0.1 s and 24 h (e.g. 30 or 2m)",
                             next: .needsPerson)
        }
        guard pinInterval >= 0, pinInterval <= 86_400, heartbeat > 0, heartbeat <= 7 * 86_400 else {
            throw AgentError(.configuration, "the pin interval must be between 0 and 24 h, and the heartbeat between "
                + "1 s and 7 days (e.g. --pin-interval 3m --heartbeat 30m)", next: .needsPerson)
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw AgentError(.configuration, "unknown log level '\(logLevel)'; use debug, info, warning or error",
                             next: .needsPerson)
        }
        guard limits.maxEntries >= 1, limits.maxBytes >= 1, limits.maxRatio >= 1 else {
            throw AgentError(.configuration, "unpack limits must be positive (max-entries, max-unpacked-bytes, "
                + "max-ratio >= 1)", next: .needsPerson)
        }
    }

    /// The drift settings from their texts (nil: the default).
    static func driftSettings(mode: String?, interval: String?, exclude: [String]?) throws(AgentError) -> DriftSettings {
        var drift = DriftSettings(excludedTypes: exclude ?? [])
        if let mode {
            guard let parsed = DriftMode(rawValue: mode.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw AgentError(.configuration, "drift '\(mode)' is not a drift mode; use off, report or revert",
                                 next: .needsPerson)
            }
            drift.mode = parsed
        }
        if let interval { drift.interval = try seconds(interval, setting: "drift interval") }
        guard drift.interval >= 0, drift.interval <= 7 * 86_400 else {
            throw AgentError(.configuration, "the drift interval must be between 0 and 7 days (e.g. 1h)",
                             next: .needsPerson)
        }
        for type in drift.excludedTypes where type.split(separator: "::").count < 2 && type != "*" {
            throw AgentError(.configuration, "drift-exclude '\(type)' is not a resource type; write e.g. "
                + "AWS::SQS::Queue or AWS::IAM::*", next: .needsPerson)
        }
        return drift
    }

    /// Seconds from `30`, `30s`, `2m` or `1h`.
    static func seconds(_ text: String, setting: String) throws(AgentError) -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let unit = trimmed.last.flatMap { units[$0] }
        guard let value = Double(unit == nil ? trimmed : String(trimmed.dropLast())), value.isFinite else {
            throw AgentError(.configuration, "the \(setting) '\(text)' is not a duration; write 30, 30s, 2m or 1h",
                             next: .needsPerson)
        }
        return value * (unit ?? 1)
    }

    /// A count from `1000`, `512K`, `200M` or `2G` (powers of 1024).
    static func count(_ text: String, setting: String) throws(AgentError) -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let unit = trimmed.last.flatMap { units[$0] }
        guard let value = Int64(unit == nil ? trimmed : String(trimmed.dropLast())), value >= 0,
              value <= Int64.max / (unit ?? 1) else {
            throw AgentError(.configuration, "\(setting) '\(text)' is not a count; write e.g. 10000, 512M or 2G",
                             next: .needsPerson)
        }
        return value * (unit ?? 1)
    }

    static func ratio(_ text: String) throws(AgentError) -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw AgentError(.configuration, "max-ratio '\(text)' is not a number (e.g. 100)", next: .needsPerson)
        }
        return value
    }

    private static func missing(_ what: String, flag: String, key: String, variable: String) -> AgentError {
        AgentError(.configuration, "no \(what): pass \(flag), set `\(key):` in the --config file, or set \(variable)",
                   next: .needsPerson)
    }
}
