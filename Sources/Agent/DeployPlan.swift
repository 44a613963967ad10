import Basics
import Foundation
import Manifest

/// One stack as it should be: the template file on disk and everything CloudFormation
/// is given with it. Its `digest` decides whether the stack must be touched at all.
public struct StackSpec: Codable, Equatable, Sendable {
    public var name: String
    /// The template's absolute path in the unpacked release folder.
    public var templatePath: String
    /// The template bytes' SHA-256, from the manifest (checked again when read).
    public var templateSha256: String
    /// Manifest parameters overlaid with this silo's overrides.
    public var parameters: [String: String]
    public var tags: [String: String]
    /// Sorted: their order means nothing to CloudFormation.
    public var capabilities: [String]
    public var region: String?
    /// SHA-256 of the canonical JSON of (stack name, template SHA-256, parameters, tags,
    /// capabilities, region). The name is in it so that change set names differ between
    /// stacks (moto looks change sets up by name across every stack).
    public private(set) var digest: String

    public init(name: String, templatePath: String, templateSha256: String, parameters: [String: String],
                tags: [String: String], capabilities: [String], region: String?) {
        self.name = name
        self.templatePath = templatePath
        self.templateSha256 = templateSha256
        self.parameters = parameters
        self.tags = tags
        self.capabilities = capabilities.sorted()
        self.region = region
        self.digest = StackSpec.digest(name: name, templateSha256: templateSha256, parameters: parameters,
                                       tags: tags, capabilities: self.capabilities, region: region)
    }

    private struct DigestInput: Encodable {
        var stack: String
        var template: String
        var parameters: [String: String]
        var tags: [String: String]
        var capabilities: [String]
        var region: String?
    }

    private static func digest(name: String, templateSha256: String, parameters: [String: String],
                               tags: [String: String], capabilities: [String], region: String?) -> String {
        let input = DigestInput(stack: name, template: templateSha256, parameters: parameters, tags: tags,
                                capabilities: capabilities, region: region)
        // Strings, maps and lists only: canonical encoding cannot fail on them.
        guard let bytes = try? CanonicalJSON.encode(input) else { preconditionFailure("canonical JSON of strings") }
        return sha256Hex(bytes)
    }

    /// The first 12 hex digits of the digest, as change set names carry it.
    public var shortDigest: String { String(digest.prefix(12)) }
}

/// What the journal remembers of a stack the agent applied: the spec and the release.
public struct StackRecord: Codable, Equatable, Sendable {
    public var spec: StackSpec
    public var source: TargetSource
    public var serial: Int
    public var version: SemVer

    public init(spec: StackSpec, source: TargetSource, serial: Int, version: SemVer) {
        self.spec = spec
        self.source = source
        self.serial = serial
        self.version = version
    }
}

/// One stack of a deployment: where it goes, and what it ran before (to return to).
public struct PlannedStack: Codable, Equatable, Sendable {
    public var spec: StackSpec
    /// The journal's record before this release; `nil` for a stack new to this silo.
    public var previous: StackRecord?

    public init(spec: StackSpec, previous: StackRecord?) {
        self.spec = spec
        self.previous = previous
    }
}

/// A release to apply: the target, where it was unpacked, its stacks in apply order.
public struct DeployPlan: Codable, Equatable, Sendable {
    public var pipeline: String
    public var target: Target
    /// The unpacked, checked release folder.
    public var folder: String
    public var stacks: [PlannedStack]

    public init(pipeline: String, target: Target, folder: String, stacks: [PlannedStack]) {
        self.pipeline = pipeline
        self.target = target
        self.folder = folder
        self.stacks = stacks
    }

    /// Plans `manifest` (verified, unpacked into `folder`, every file's SHA-256 checked)
    /// for this silo: parameters overlaid with `overrides[stack]` (keyed by the
    /// manifest's stack name; overrides of stacks not in the release are ignored), stacks
    /// ordered by `dependsOn` (manifest order kept where free), each deployed as the
    /// CloudFormation stack `stackPrefix + name`. `Applier.apply` fills in each stack's
    /// journal record.
    public static func make(manifest: Manifest, target: Target, folder: String,
                            overrides: [String: [String: String]] = [:],
                            stackPrefix: String = "") throws(AgentError) -> DeployPlan {
        guard manifest.version == target.version else {
            throw AgentError(.plan, "the manifest is for \(manifest.pipeline) \(manifest.version), but the target is "
                + "\(target.version); the bundle does not match its pointer", next: .needsPerson)
        }
        let files = Dictionary(manifest.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        var planned: [PlannedStack] = []
        for stack in try applyOrder(manifest.stacks) {
            guard let sha256 = files[stack.template] else {
                throw AgentError(.plan, "the stack \(stack.name) names the template \(stack.template), which the "
                    + "manifest does not list", next: .needsPerson, resource: stack.name)
            }
            let parameters = stack.parameters.merging(overrides[stack.name] ?? [:]) { _, override in override }
            let spec = StackSpec(name: stackPrefix + stack.name, templatePath: folder + "/" + stack.template,
                                 templateSha256: sha256, parameters: parameters, tags: stack.tags,
                                 capabilities: stack.capabilities, region: stack.region)
            planned.append(PlannedStack(spec: spec, previous: nil))
        }
        return DeployPlan(pipeline: manifest.pipeline, target: target, folder: folder, stacks: planned)
    }

    /// The stacks in an order where each comes after everything it depends on, keeping
    /// the manifest's order wherever dependencies allow (Kahn's algorithm, stable).
    public static func applyOrder(_ stacks: [Manifest.Stack]) throws(AgentError) -> [Manifest.Stack] {
        let names = Set(stacks.map(\.name))
        for stack in stacks {
            for dependency in stack.dependsOn where !names.contains(dependency) {
                throw AgentError(.plan, "the stack \(stack.name) depends on \(dependency), which is not in the "
                    + "release", next: .needsPerson, resource: stack.name)
            }
        }
        var placed = Set<String>()
        var order: [Manifest.Stack] = []
        while order.count < stacks.count {
            guard let next = stacks.first(where: { !placed.contains($0.name) && $0.dependsOn.allSatisfy(placed.contains) })
            else {
                let left = stacks.filter { !placed.contains($0.name) }.map(\.name).joined(separator: ", ")
                throw AgentError(.plan, "the stacks \(left) depend on each other in a cycle; fix dependsOn in the "
                    + "pipeline", next: .needsPerson)
            }
            placed.insert(next.name)
            order.append(next)
        }
        return order
    }

    /// The change set name for moving `spec` forward in the deployment attempt `attempt`:
    /// `ferry-<serial>-<digest12>-<attempt>` (a pin's: `ferry-pin<serial>-…`). The attempt
    /// is saved with the deployment, so a restarted agent finds its own change set instead
    /// of creating a second one; and it differs between attempts, so going back to a
    /// target deployed before never finds that old attempt's executed change set (issue
    /// 13). An empty attempt (a deployment begun by a journal of schema 1) gives the old
    /// names, without the suffix.
    public func changeSetName(for spec: StackSpec, attempt: String) -> String {
        "\(Self.changeSetPrefix)\(serialTag)-\(spec.shortDigest)" + (attempt.isEmpty ? "" : "-\(attempt)")
    }

    /// What a stack runs once `spec` of this deployment is applied to it.
    public func record(for spec: StackSpec) -> StackRecord {
        StackRecord(spec: spec, source: target.source, serial: target.serial, version: target.version)
    }

    /// The name for returning a stack to `spec` after this deployment attempt failed.
    public func rollbackChangeSetName(for spec: StackSpec, attempt: String) -> String {
        "\(Self.changeSetPrefix)\(serialTag)-rollback-\(spec.shortDigest)" + (attempt.isEmpty ? "" : "-\(attempt)")
    }

    /// A new attempt's id: the start time in milliseconds and three random characters,
    /// base 36 (CloudFormation allows letters, digits and hyphens in a change set name).
    public static func attemptID(now: Date) -> String {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let random = (0..<3).map { _ in String(Int.random(in: 0..<36), radix: 36) }.joined()
        return String(milliseconds, radix: 36) + random
    }

    private var serialTag: String {
        switch target.source {
        case .channel: "\(target.serial)"
        case .pin: "pin\(target.serial)"
        }
    }

    /// Change sets whose names start with this are Ferry's own; leftovers may be deleted.
    public static let changeSetPrefix = "ferry-"
}
