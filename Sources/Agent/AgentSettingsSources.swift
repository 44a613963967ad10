import Foundation
import Yams

/// Where settings come from besides flags: the YAML file (`--config agent.yaml`) and the
/// `FERRY_*` environment. Keys are the flags' names (`state-dir`, `deploy-role-arn`...).
extension AgentSettings.Layer {
    /// The YAML file's keys, each the name of a flag.
    public static let fileKeys: [String] = [
        "bucket", "prefix", "pipelines", "channel", "silo", "trust", "state-dir", "interval", "pin-interval",
        "heartbeat", "deploy-role-arn",
        "cloudformation-role-arn", "stack-prefix", "parameters", "max-entries", "max-unpacked-bytes", "max-ratio",
        "log-format", "log-level", "region", "profile", "endpoint-url", "tags", "drift", "drift-interval",
        "drift-exclude",
    ]

    /// The settings of a YAML file (`file` names it in errors):
    ///
    /// ```yaml
    /// bucket: acme-ferry-releases
    /// prefix: ferry/
    /// pipelines: [dropzone, ingest]
    /// trust: [/etc/ferry/builder.pub=builder, /etc/ferry/release.pub=release,oncall]
    /// parameters:
    ///   ingest: {BatchSize: "500"}
    /// ```
    ///
    /// Unknown keys are refused (a misspelt key would otherwise be ignored silently).
    public static func yaml(_ text: String, file: String) throws(AgentError) -> Self {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw AgentError(.configuration, "\(file) is not valid YAML: \(error)", next: .needsPerson)
        }
        var layer = Self()
        guard let root else { return layer }
        guard let mapping = root.mapping else {
            throw AgentError(.configuration, "\(file) must be a mapping of settings (bucket:, pipelines:, ...)",
                             next: .needsPerson)
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let at = "\(file): \(key)"
            switch key {
            case "bucket": layer.bucket = try scalar(value, at)
            case "prefix": layer.prefix = try scalar(value, at)
            case "pipelines": layer.pipelines = try list(value, at, commas: true)
            case "channel": layer.channel = try scalar(value, at)
            case "silo": layer.silo = try scalar(value, at)
            case "trust": layer.trust = try list(value, at, commas: false)
            case "state-dir": layer.stateDirectory = try scalar(value, at)
            case "interval": layer.interval = try scalar(value, at)
            case "pin-interval": layer.pinInterval = try scalar(value, at)
            case "heartbeat": layer.heartbeat = try scalar(value, at)
            case "deploy-role-arn": layer.deployRoleArn = try scalar(value, at)
            case "cloudformation-role-arn": layer.cloudFormationRoleArn = try scalar(value, at)
            case "artifact-bucket": layer.artifactBucket = try scalar(value, at)
            case "stack-prefix": layer.stackPrefix = try scalar(value, at)
            case "parameters": layer.parameters = try parameters(value, at)
            case "tags":
                guard let pairs = value.mapping else {
                    throw AgentError(.configuration, "\(at) must map tag keys to values, like {tier: gold}", next: .needsPerson)
                }
                for (tag, text) in pairs { layer.tags[tag.string ?? ""] = try scalar(text, "\(at).\(tag.string ?? "")") }
            case "drift": layer.drift = try scalar(value, at)
            case "drift-interval": layer.driftInterval = try scalar(value, at)
            case "drift-exclude": layer.driftExclude = try list(value, at, commas: true)
            case "max-entries": layer.maxEntries = try scalar(value, at)
            case "max-unpacked-bytes": layer.maxUnpackedBytes = try scalar(value, at)
            case "max-ratio": layer.maxRatio = try scalar(value, at)
            case "log-format": layer.logFormat = try scalar(value, at)
            case "log-level": layer.logLevel = try scalar(value, at)
            case "region": layer.region = try scalar(value, at)
            case "profile": layer.profile = try scalar(value, at)
            case "endpoint-url": layer.endpointURL = try scalar(value, at)
            default:
                throw AgentError(.configuration, "\(file): unknown setting '\(key)'; the settings are "
                    + fileKeys.joined(separator: ", "), next: .needsPerson)
            }
        }
        return layer
    }

    /// The `FERRY_*` variables: `FERRY_BUCKET`, `FERRY_PREFIX`, `FERRY_PIPELINES` (commas),
    /// `FERRY_CHANNEL`, `FERRY_SILO`, `FERRY_TRUST` (spaces), `FERRY_STATE_DIR`,
    /// `FERRY_INTERVAL`, `FERRY_PIN_INTERVAL`, `FERRY_HEARTBEAT`, `FERRY_DEPLOY_ROLE_ARN`, `FERRY_CLOUDFORMATION_ROLE_ARN`,
    /// `FERRY_STACK_PREFIX`, `FERRY_PARAMETERS` (spaces), `FERRY_MAX_ENTRIES`,
    /// `FERRY_MAX_UNPACKED_BYTES`, `FERRY_MAX_RATIO`, `FERRY_LOG_FORMAT`, `FERRY_LOG_LEVEL`,
    /// `FERRY_DRIFT`, `FERRY_DRIFT_INTERVAL`, `FERRY_DRIFT_EXCLUDE` (commas).
    public static func environment(_ environment: [String: String]) throws(AgentError) -> Self {
        func value(_ name: String) -> String? {
            environment["FERRY_" + name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        func words(_ name: String, commas: Bool) -> [String]? {
            value(name).map { text in
                text.split(whereSeparator: { $0.isWhitespace || (commas && $0 == ",") }).map(String.init)
            }
        }
        var layer = Self()
        layer.bucket = value("BUCKET")
        layer.prefix = value("PREFIX")
        layer.pipelines = words("PIPELINES", commas: true) ?? words("PIPELINE", commas: true)
        layer.channel = value("CHANNEL")
        layer.silo = value("SILO")
        layer.trust = words("TRUST", commas: false)
        layer.stateDirectory = value("STATE_DIR")
        layer.interval = value("INTERVAL")
        layer.pinInterval = value("PIN_INTERVAL")
        layer.heartbeat = value("HEARTBEAT")
        layer.deployRoleArn = value("DEPLOY_ROLE_ARN")
        layer.cloudFormationRoleArn = value("CLOUDFORMATION_ROLE_ARN")
        layer.artifactBucket = value("ARTIFACT_BUCKET")
        layer.stackPrefix = value("STACK_PREFIX")
        try layer.addParameters(words("PARAMETERS", commas: false) ?? [], from: "FERRY_PARAMETERS")
        layer.drift = value("DRIFT")
        layer.driftInterval = value("DRIFT_INTERVAL")
        layer.driftExclude = words("DRIFT_EXCLUDE", commas: true)
        layer.maxEntries = value("MAX_ENTRIES")
        layer.maxUnpackedBytes = value("MAX_UNPACKED_BYTES")
        layer.maxRatio = value("MAX_RATIO")
        layer.logFormat = value("LOG_FORMAT")
        layer.logLevel = value("LOG_LEVEL")
        return layer
    }

    private static func scalar(_ node: Node, _ at: String) throws(AgentError) -> String {
        guard let scalar = node.scalar else {
            throw AgentError(.configuration, "\(at) must be a single value", next: .needsPerson)
        }
        return scalar.string
    }

    /// A YAML list, or one value (split on commas when `commas`).
    private static func list(_ node: Node, _ at: String, commas: Bool) throws(AgentError) -> [String] {
        if let sequence = node.sequence {
            var values: [String] = []
            for item in sequence { values.append(try scalar(item, at)) }
            return values
        }
        let text = try scalar(node, at)
        return commas ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [text]
    }

    /// `parameters: {STACK: {KEY: VALUE}}`.
    private static func parameters(_ node: Node, _ at: String) throws(AgentError) -> [String: [String: String]] {
        guard let stacks = node.mapping else {
            throw AgentError(.configuration, "\(at) must map stack names to {KEY: VALUE}", next: .needsPerson)
        }
        var result: [String: [String: String]] = [:]
        for (stack, values) in stacks {
            let name = stack.string ?? ""
            guard let pairs = values.mapping else {
                throw AgentError(.configuration, "\(at).\(name) must map parameter names to values", next: .needsPerson)
            }
            for (key, value) in pairs {
                result[name, default: [:]][key.string ?? ""] = try scalar(value, "\(at).\(name).\(key.string ?? "")")
            }
        }
        return result
    }
}
