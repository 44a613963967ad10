import Foundation
import Manifest

/// What the agent tells an SNS topic when on-call must look: a deploy that failed (its
/// stacks were returned to the release before), a release refused, a rollback applied.
public struct AgentNotification: Sendable, Equatable, Codable {
    public enum Trigger: String, Sendable, Codable {
        case deployFailed = "deploy-failed"
        case refused
        case rollback
    }

    public var trigger: Trigger
    public var account: String?
    public var region: String
    public var silo: String
    public var pipeline: String
    public var channel: String?
    /// The version that ran before (`applied` at the start of the reconcile).
    public var from: SemVer?
    /// The version the agent moved, or tried to move, to.
    public var to: SemVer?
    public var code: String?
    /// The stack or resource at fault, when there is one.
    public var resource: String?
    public var reason: String?
    /// What the release's change sets added, modified and removed here (absent when the
    /// agent did not see them: a deployment resumed after a restart).
    public var changes: ChangeSummary?
    /// The CloudFormation console, on this silo's stacks.
    public var consoleLink: String
    /// RFC 3339 UTC.
    public var time: String

    /// `ferry: webapp deploy-failed on silo-a (1.1.0 -> 1.2.0)`: SNS cuts subjects at 100 characters.
    public var subject: String {
        let versions = [from?.description ?? "none", to?.description ?? "none"].joined(separator: " -> ")
        return "ferry: \(pipeline) \(trigger.rawValue) on \(silo) (\(versions))"
    }

    /// The message: this notification as one JSON object (sorted keys).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Which notifications a reconcile calls for. Pure.
public enum NotificationRules {
    /// The silo's facts every notification carries.
    public struct Silo: Sendable {
        public var name: String
        public var account: String?
        public var region: String
        public var stackPrefix: String

        public init(name: String, account: String?, region: String, stackPrefix: String) {
            self.name = name
            self.account = account
            self.region = region
            self.stackPrefix = stackPrefix
        }
    }

    /// The notifications of one reconcile: `before` is each pipeline's last report from before
    /// it. A failed deploy and a refusal notify; so does a release applied below the one that
    /// ran (a rollback reached this silo). Idle, unchanged and in-flight outcomes do not.
    public static func notifications(_ outcomes: [PipelineOutcome], before: [String: StatusReport], silo: Silo,
                                     now: Date) -> [AgentNotification] {
        outcomes.compactMap { outcome in
            let previous = before[outcome.pipeline]
            let trigger: AgentNotification.Trigger
            switch outcome.kind {
            case .failed:
                trigger = .deployFailed
            case .refused, .nothing:
                guard outcome.error != nil else { return nil }
                trigger = .refused
            case .applied:
                guard let from = previous?.applied, let to = outcome.target, to < from else { return nil }
                trigger = .rollback
            case .idle, .unchanged, .waiting, .misconfigured, .suspended, .superseded, .interrupted, .error:
                return nil
            }
            return AgentNotification(
                trigger: trigger, account: silo.account, region: silo.region, silo: silo.name,
                pipeline: outcome.pipeline, channel: previous?.channel, from: previous?.applied, to: outcome.target,
                code: outcome.error?.code.description, resource: outcome.error?.resource, reason: outcome.error?.message,
                changes: outcome.changes, consoleLink: consoleLink(region: silo.region, filter: outcome.error?.resource ?? silo.stackPrefix),
                time: Timestamp.format(now))
        }
    }

    /// The CloudFormation console's stack list in `region`, filtered to `filter`.
    static func consoleLink(region: String, filter: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        let text = filter.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return "https://\(region).console.aws.amazon.com/cloudformation/home?region=\(region)#/stacks?filteringText=\(text)"
    }
}

/// What a release's change sets change, by action: `stack/LogicalId (Type)`, sorted.
public struct ChangeSummary: Sendable, Equatable, Codable {
    public var added: [String]
    public var modified: [String]
    public var removed: [String]
    /// Imports and dynamic changes, `stack/LogicalId (Type) Action`.
    public var other: [String]

    public init(added: [String] = [], modified: [String] = [], removed: [String] = [], other: [String] = []) {
        self.added = added
        self.modified = modified
        self.removed = removed
        self.other = other
    }

    /// The summary of each stack's changes.
    public init(_ stacks: [String: [ResourceChange]]) {
        self.init()
        for (stack, changes) in stacks {
            for change in changes {
                let name = "\(stack)/\(change.logicalResourceId) (\(change.resourceType))"
                switch change.action {
                case "Add": added.append(name)
                case "Modify": modified.append(name)
                case "Remove": removed.append(name)
                default: other.append(name + " " + change.action)
                }
            }
        }
        added.sort()
        modified.sort()
        removed.sort()
        other.sort()
    }
}
