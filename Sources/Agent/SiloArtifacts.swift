import AWS
import Basics
import Foundation
import Manifest

/// A silo's own artifact bucket: its name, the path-style URL base CloudFormation reads
/// it by (`https://s3.eu-west-1.amazonaws.com`), its key layout, and the store that holds
/// it (S3 with the agent's identity; `MemoryStore` in tests). Only the agent writes
/// there, so an object under a key is the verified bytes it copied.
public struct SiloBucket {
    public let name: String
    public let urlBase: String
    public let layout: BucketLayout
    public let store: any ObjectStore

    public init(name: String, urlBase: String, layout: BucketLayout, store: any ObjectStore) {
        self.name = name
        self.urlBase = urlBase.hasSuffix("/") ? String(urlBase.dropLast()) : urlBase
        self.layout = layout
        self.store = store
    }

    /// The size of the object under `key`, or nil when there is none (a HEAD).
    func size(of key: String) throws(AgentError) -> Int64? {
        do {
            return try store.headObject(bucket: name, key: key, versionId: nil)?.size
        } catch {
            throw sorting(error, doing: "checking s3://\(name)/\(key)")
        }
    }

    /// Writes `data` (or the file at `path`) under `key`.
    func put(key: String, data: Data? = nil, file path: String? = nil) throws(AgentError) {
        do {
            if let data {
                _ = try store.putObject(bucket: name, key: key, data: data, options: S3.PutOptions())
            } else if let path {
                _ = try store.putObject(bucket: name, key: key, file: path, options: S3.PutOptions())
            }
        } catch {
            throw sorting(error, doing: "writing s3://\(name)/\(key)")
        }
    }

    private func sorting(_ error: AWSError, doing what: String) -> AgentError {
        if error.isRetryable {
            return AgentError(.service, "\(what) failed: \(error); the agent retries", next: .transient, cause: error)
        }
        return AgentError(.service, "\(what) failed: \(error); the silo's artifact bucket must exist in this "
            + "account and region (stacksets/ferry-silo.yaml creates it) and the agent's role must be allowed to "
            + "read and write it", next: .needsPerson, cause: error)
    }

    /// The URL of the object under `key`, as a `TemplateURL`.
    public func url(key: String) -> String { "\(urlBase)/\(name)/\(key)" }

    /// The key of the relocated template whose bytes have this SHA-256.
    public func templateKey(sha256: String) throws(AgentError) -> String {
        do {
            return try layout.artifact(sha256: sha256)
        } catch {
            throw AgentError(.template, "no key for the template \(sha256): \(error.message)", next: .needsPerson)
        }
    }
}

/// Binds what CloudFormation reads to the signed manifest (docs/security.md,
/// "Artifacts"): for a prepared release, every artifact is fetched from the shared bucket
/// with its SHA-256 and size checked against `manifest.artifacts`, copied into the silo's
/// bucket (once: a copy already there is not fetched again), and every template is
/// rewritten (`ArtifactRelocation`) to point there. Nested templates are relocated the
/// same way, recursively, and stored under the SHA-256 of their relocated bytes.
///
/// A release that references no artifact and has no template above CloudFormation's
/// body limit deploys its templates as signed, with no silo bucket.
public struct SiloArtifacts {
    /// Fetches the shared bucket's object `key` to `path`, at most `size` bytes, checking
    /// its SHA-256 as it streams (throws `.refused` when the bytes are not the signed ones).
    public typealias Fetch = (_ key: String, _ sha256: String, _ size: Int, _ path: String) throws(AgentError) -> Void
    /// The silo bucket for a stack's region (`nil`: the agent's own); nil when none is set.
    public typealias Destination = (_ region: String?) throws(AgentError) -> SiloBucket?

    public let sharedBucket: String
    public let fetch: Fetch
    public let destination: Destination
    /// A folder for the downloads in progress (removed after each) and, in `verified/`,
    /// the verified nested templates (a cache: removing it costs only downloads).
    public let scratch: String

    public init(sharedBucket: String, scratch: String, fetch: @escaping Fetch, destination: @escaping Destination) {
        self.sharedBucket = sharedBucket
        self.scratch = scratch
        self.fetch = fetch
        self.destination = destination
    }

    /// The setting a release with artifacts needs.
    public static let missingBucketAdvice = "set the silo's artifact bucket (--artifact-bucket, FERRY_ARTIFACT_BUCKET "
        + "or artifact-bucket: in the config file; stacksets/ferry-silo.yaml creates it as ArtifactBucket)"

    /// `plan` with every stack's template relocated: a stack whose template changes, or
    /// is above the body limit, gets the relocated copy (written beside the release folder,
    /// in `<folder>.silo/`) and its SHA-256. The silo bucket holds every artifact the
    /// templates reference, verified, before this returns.
    public func relocate(_ plan: DeployPlan, manifest: Manifest) throws(AgentError) -> DeployPlan {
        var run = Run(owner: self, manifest: manifest)
        var relocated = plan
        let output = plan.folder + ".silo"
        for index in plan.stacks.indices {
            let spec = plan.stacks[index].spec
            let text = try Self.text(atPath: spec.templatePath, sha256: spec.templateSha256, stack: spec.name)
            let references = text.contains(sharedBucket) && !manifest.artifacts.isEmpty
            let large = text.utf8.count > ChangeSetRequest.bodyLimit
            guard references || large else { continue }
            guard let silo = try destination(spec.region) else {
                throw AgentError(.configuration, "the stack \(spec.name) of \(plan.target.describe(pipeline: plan.pipeline)) "
                    + (large ? "has a template above CloudFormation's \(ChangeSetRequest.bodyLimit)-byte body limit"
                        : "references artifacts") + " and this silo has no artifact bucket to deploy them from; "
                    + Self.missingBucketAdvice, next: .needsPerson, resource: spec.name)
            }
            let body = try run.relocate(text, into: silo, depth: 0)
            let bytes = Data(body.utf8)
            let sha256 = sha256Hex(bytes)
            if bytes.count > ChangeSetRequest.bodyLimit { try run.store(bytes, sha256: sha256, in: silo) }
            let path = "\(output)/\(sha256).template"
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                if !FileManager.default.fileExists(atPath: path) { try bytes.write(to: URL(fileURLWithPath: path), options: .atomic) }
            } catch {
                throw AgentError(.service, "cannot write the relocated template of \(spec.name) to \(path): \(error); "
                    + "check the state folder's disk", next: .transient, resource: spec.name, cause: error)
            }
            relocated.stacks[index].spec = StackSpec(
                name: spec.name, templatePath: path, templateSha256: sha256, parameters: spec.parameters,
                tags: spec.tags, capabilities: spec.capabilities, region: spec.region)
        }
        return relocated
    }

    static func text(atPath path: String, sha256: String, stack: String) throws(AgentError) -> String {
        guard let bytes = FileManager.default.contents(atPath: path), sha256Hex(bytes) == sha256 else {
            throw AgentError(.template, "the template \(path) of \(stack) is missing or not the signed bytes",
                             next: .needsPerson, resource: stack)
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw AgentError(.template, "the template \(path) of \(stack) is not UTF-8 text", next: .needsPerson,
                             resource: stack)
        }
        return text
    }

    /// One relocation: what was copied or stored already, per silo bucket.
    struct Run {
        let owner: SiloArtifacts
        let artifacts: [String: Manifest.Artifact]
        var copied: Set<String> = []
        var nested: [String: String] = [:]

        init(owner: SiloArtifacts, manifest: Manifest) {
            self.owner = owner
            self.artifacts = Dictionary(manifest.artifacts.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        }

        /// Nested templates nest at most this deep (CloudFormation's own limit is lower).
        static let maxDepth = 16

        mutating func relocate(_ text: String, into silo: SiloBucket, depth: Int) throws(AgentError) -> String {
            guard !ArtifactRelocation.virtualHostedReference(to: owner.sharedBucket, in: text) else {
                throw AgentError(.refused, "a template names the shared bucket as a virtual-hosted URL "
                    + "(\(owner.sharedBucket).s3…), which the agent cannot bind to the signed manifest: refused; let "
                    + "ferry package the artifact instead", next: .needsPerson)
            }
            let relocation = ArtifactRelocation(sharedBucket: owner.sharedBucket, siloBucket: silo.name,
                                                siloURLBase: silo.urlBase, artifactKeys: Set(artifacts.keys))
            let nestedKeys = relocation.nestedTemplateKeys(in: text)
            // Code and other artifacts keep their key: copy each one this text names.
            for key in artifacts.keys.sorted() where text.contains(key) && !nestedKeys.contains(key) {
                try copy(key, to: silo)
            }
            var stored: [String: String] = [:]
            for key in nestedKeys {
                guard depth < Self.maxDepth else {
                    throw AgentError(.refused, "nested templates go deeper than \(Self.maxDepth) levels (at \(key)): "
                        + "refused", next: .needsPerson)
                }
                stored[key] = try relocateNested(key, into: silo, depth: depth + 1)
            }
            return relocation.relocate(text) { stored[$0] ?? $0 }
        }

        /// Fetches the nested template `key` verified, relocates it, stores it in the
        /// silo bucket under its relocated SHA-256; returns that key.
        mutating func relocateNested(_ key: String, into silo: SiloBucket, depth: Int) throws(AgentError) -> String {
            let memo = silo.name + "\u{0}" + key
            if let done = nested[memo] { return done }
            guard let artifact = artifacts[key] else { preconditionFailure("nested keys are artifact keys") }
            let data = try owner.verifiedTemplate(artifact)
            guard let text = String(data: data, encoding: .utf8) else {
                throw AgentError(.refused, "the nested template \(key) is not UTF-8 text: refused", next: .needsPerson)
            }
            let body = Data(try relocate(text, into: silo, depth: depth).utf8)
            let siloKey = try store(body, sha256: sha256Hex(body), in: silo)
            nested[memo] = siloKey
            return siloKey
        }

        /// Stores relocated template bytes under their SHA-256, unless already there.
        @discardableResult
        func store(_ bytes: Data, sha256: String, in silo: SiloBucket) throws(AgentError) -> String {
            let key = try silo.templateKey(sha256: sha256)
            if try silo.size(of: key) != Int64(bytes.count) { try silo.put(key: key, data: bytes) }
            return key
        }

        /// Copies the artifact `key`, verified, under the same key, unless already there.
        mutating func copy(_ key: String, to silo: SiloBucket) throws(AgentError) {
            let memo = silo.name + "\u{0}" + key
            guard !copied.contains(memo), let artifact = artifacts[key] else { return }
            if try silo.size(of: key) != Int64(artifact.size) {
                try owner.fetched(artifact) { path throws(AgentError) in try silo.put(key: key, file: path) }
            }
            copied.insert(memo)
        }
    }

    /// The verified bytes of the nested template `artifact`: kept in `<scratch>/verified/`
    /// (checked again when read) once fetched, so an unchanged one is never fetched twice.
    func verifiedTemplate(_ artifact: Manifest.Artifact) throws(AgentError) -> Data {
        let cached = "\(scratch)/verified/\(artifact.sha256)"
        if let data = FileManager.default.contents(atPath: cached), data.count == artifact.size,
           sha256Hex(data) == artifact.sha256 {
            return data
        }
        return try fetched(artifact) { path throws(AgentError) in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AgentError(.service, "cannot read back \(path); check the state folder's disk", next: .transient)
            }
            do {
                try FileManager.default.createDirectory(atPath: scratch + "/verified", withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: cached), options: .atomic)
            } catch {
                throw AgentError(.service, "cannot keep the verified template \(artifact.key) in \(cached): \(error); "
                    + "check the state folder's disk", next: .transient, cause: error)
            }
            return data
        }
    }

    /// Downloads `artifact` verified into the scratch folder, hands its path to `use`,
    /// then removes it.
    func fetched<T>(_ artifact: Manifest.Artifact, _ use: (String) throws(AgentError) -> T) throws(AgentError) -> T {
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            throw AgentError(.service, "cannot create \(scratch): \(error); check the state folder's disk",
                             next: .transient, cause: error)
        }
        let path = scratch + "/artifact-" + String(artifact.sha256.prefix(16))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try fetch(artifact.key, artifact.sha256, artifact.size, path)
        return try use(path)
    }
}
