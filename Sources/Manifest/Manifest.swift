/// What one release is (`ferry.manifest/v1`): where it came from, what was tested, the
/// stacks to apply in order, and the digest of every file and artifact it needs.
///
/// Its canonical bytes are `manifest.json`; the builder's signature over exactly those
/// bytes is `manifest.sig`. The bundle's own digest is not in here: it is in the channel
/// pointer. `createdAt` is the commit time, so rebuilding a commit gives the same bytes.
public struct Manifest: FerryDocument, Equatable {
    public static let kind = "manifest"
    public static let sizeCap = SizeCap.manifest
    public static let what = "the manifest"

    public var schema: String
    public var pipeline: String
    public var version: SemVer
    /// The commit time, RFC 3339 UTC.
    public var createdAt: String
    public var source: Source
    public var tests: [TestRun]
    /// In the order to apply them; each stack's `dependsOn` names stacks listed before it.
    public var stacks: [Stack]
    /// Every file in the bundle except the manifest.
    public var files: [File]
    /// Every content-addressed object the templates point to.
    public var artifacts: [Artifact]

    public init(pipeline: String, version: SemVer, createdAt: String, source: Source, tests: [TestRun] = [],
                stacks: [Stack] = [], files: [File] = [], artifacts: [Artifact] = [],
                schema: String = Manifest.currentSchema) {
        self.schema = schema
        self.pipeline = pipeline
        self.version = version
        self.createdAt = createdAt
        self.source = source
        self.tests = tests
        self.stacks = stacks
        self.files = files
        self.artifacts = artifacts
    }

    /// The commit a release was built from.
    public struct Source: Codable, Sendable, Equatable {
        /// The repository's name (not a URL with credentials).
        public var repository: String
        /// The full commit id, lowercase hex (40 or 64 digits).
        public var commit: String
        /// The tag built, if any (`v1.4.2`).
        public var tag: String?
        /// The tagger of an annotated tag, else the commit's author: `Name <email>`.
        public var author: String
        /// The first line of the tag's or commit's message.
        public var subject: String

        public init(repository: String, commit: String, tag: String? = nil, author: String, subject: String) {
            self.repository = repository
            self.commit = commit
            self.tag = tag
            self.author = author
            self.subject = subject
        }
    }

    /// One test command the builder ran before packaging.
    public struct TestRun: Codable, Sendable, Equatable {
        public var name: String
        public var command: String
        public var exitStatus: Int
        public var durationMs: Int

        public init(name: String, command: String, exitStatus: Int, durationMs: Int) {
            self.name = name
            self.command = command
            self.exitStatus = exitStatus
            self.durationMs = durationMs
        }
    }

    /// One CloudFormation stack of the release.
    public struct Stack: Codable, Sendable, Equatable {
        public var name: String
        /// The packaged template's path in the bundle; it is one of `files`.
        public var template: String
        public var parameters: [String: String]
        /// `CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM`, `CAPABILITY_AUTO_EXPAND`.
        public var capabilities: [String]
        public var tags: [String: String]
        /// Stacks (by name) that must be applied first; each is listed earlier in `stacks`.
        public var dependsOn: [String]
        /// The region to deploy to, when not the agent's own.
        public var region: String?

        public init(name: String, template: String, parameters: [String: String] = [:], capabilities: [String] = [],
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

    /// A file in the bundle.
    public struct File: Codable, Sendable, Equatable {
        /// Relative, `/`-separated, without `.` or `..` parts.
        public var path: String
        public var size: Int
        public var sha256: String

        public init(path: String, size: Int, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// A content-addressed object in the bucket (a code zip, a nested template).
    public struct Artifact: Codable, Sendable, Equatable {
        /// The bucket key, `PREFIX/artifacts/sha256/<sha256>`.
        public var key: String
        public var size: Int
        public var sha256: String

        public init(key: String, size: Int, sha256: String) {
            self.key = key
            self.size = size
            self.sha256 = sha256
        }
    }
}
