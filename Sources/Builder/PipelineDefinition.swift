import Manifest

/// A pipeline, as `pipelines/<name>.yaml` defines it (format: docs/pipelines.md):
/// where its source is, which tests gate a release, and which stacks it deploys.
public struct PipelineDefinition: Hashable, Sendable {
    /// `[A-Za-z0-9._-]{1,64}`; names the releases in the bucket.
    public var name: String
    public var source: Source
    /// Run in order in the exported source folder; any failure stops the release.
    public var tests: [TestStep]
    /// In the order written; deploy them in `deploymentOrder()`.
    public var stacks: [Stack]
    /// The channels a release can be published to; default `[canary, stable]`.
    public var channels: [String]
    /// The staged rollout of each channel that has one (`rollout:`); a channel without
    /// one moves every silo at once.
    public var rollouts: [String: RolloutPolicy]

    public static let defaultChannels = ["canary", "stable"]

    public init(name: String, source: Source = Source(), tests: [TestStep] = [], stacks: [Stack],
                channels: [String] = PipelineDefinition.defaultChannels, rollouts: [String: RolloutPolicy] = [:]) {
        self.name = name
        self.source = source
        self.tests = tests
        self.stacks = stacks
        self.channels = channels
        self.rollouts = rollouts
    }

    /// Where the templates, code and tests come from.
    public struct Source: Hashable, Sendable {
        /// A local path (relative to the root of the repository holding the definition)
        /// or a URL libgit2 can clone; nil means the repository holding the definition.
        public var repository: String?
        /// The folder inside that repository; "" means its root. Relative, no `..`.
        public var path: String

        public init(repository: String? = nil, path: String = "") {
            self.repository = repository
            self.path = path
        }

        /// A path inside the source folder, relative to the repository root.
        public func repositoryPath(of relative: String) -> String {
            path.isEmpty ? relative : path + "/" + relative
        }
    }

    /// One test command, run with `/bin/sh -c` in the exported source folder.
    public struct TestStep: Hashable, Sendable {
        public var name: String
        public var run: String
        /// Seconds before the command is stopped and the test fails; default 600.
        public var timeout: Int
        /// Added to the environment the command runs in.
        public var environment: [String: String]

        public static let defaultTimeout = 600

        public init(name: String, run: String, timeout: Int = TestStep.defaultTimeout, environment: [String: String] = [:]) {
            self.name = name
            self.run = run
            self.timeout = timeout
            self.environment = environment
        }
    }

    /// One CloudFormation stack.
    public struct Stack: Hashable, Sendable {
        /// The stack's name, by CloudFormation's rules: `[A-Za-z][A-Za-z0-9-]{0,127}`.
        public var name: String
        /// The template, relative to `source.path`.
        public var template: String
        /// Parameter values as CloudFormation takes them (lists comma-joined).
        public var parameters: [String: String]
        public var capabilities: [Capability]
        public var tags: [String: String]
        /// Stacks (of this pipeline) to deploy before this one.
        public var dependsOn: [String]
        /// The region to deploy to; nil means the agent's own.
        public var region: String?

        public init(name: String, template: String, parameters: [String: String] = [:], capabilities: [Capability] = [],
                    tags: [String: String] = [:], dependsOn: [String] = [], region: String? = nil) {
            self.name = name
            self.template = template
            self.parameters = parameters
            self.capabilities = capabilities
            self.tags = tags
            self.dependsOn = dependsOn
            self.region = region
        }
    }

    /// What a stack may do that CloudFormation makes you acknowledge.
    public enum Capability: String, Hashable, Sendable, CaseIterable {
        case iam = "CAPABILITY_IAM"
        case namedIAM = "CAPABILITY_NAMED_IAM"
        case autoExpand = "CAPABILITY_AUTO_EXPAND"
    }

    /// The stacks in an order that deploys every stack after the stacks it depends on,
    /// keeping the written order wherever dependencies allow: each step takes the first
    /// stack (as written) whose dependencies are all placed. A parsed definition has no
    /// cycles; should a hand-built one have any, the stacks caught in it come last, as
    /// written. Dependencies on names that are not stacks here are ignored.
    public func deploymentOrder() -> [Stack] {
        var placed: Set<String> = []
        var remaining = stacks
        var order: [Stack] = []
        let names = Set(stacks.map(\.name))
        while let next = remaining.firstIndex(where: { stack in
            stack.dependsOn.allSatisfy { placed.contains($0) || !names.contains($0) }
        }) {
            let stack = remaining.remove(at: next)
            placed.insert(stack.name)
            order.append(stack)
        }
        return order + remaining
    }
}
