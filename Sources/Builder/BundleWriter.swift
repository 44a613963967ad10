import Archive
import Basics
import Foundation
import Manifest

/// The signed release a build produces, on disk.
public struct BuiltBundle: Sendable {
    public var manifest: Manifest
    /// `manifest.json`: the manifest's canonical bytes (also inside the zip).
    public var manifestBytes: Data
    /// `manifest.sig`.
    public var signature: Data
    public var bundlePath: String
    public var bundleSha256: String
    public var bundleSize: Int
}

/// Writes the bundle (`BundleLayout`): each stack's packaged template and parameters,
/// `tests.log` and `manifest.json`, as a deterministic zip whose every entry has the
/// commit time; and signs the manifest. The same inputs give the same bytes of zip,
/// manifest and signature (Ed25519 is deterministic).
enum BundleWriter {
    static func write(pipeline: String, snapshot: SourceSnapshot, repositoryName: String, tests: TestsGate.Record,
                      stacks packaged: [PackagedStack], order: [PipelineDefinition.Stack], artifacts: [String: StoredObject],
                      key: SigningKey, to bundlePath: String, durable: Bool = true) throws(BuildError) -> BuiltBundle {
        var files: [String: Data] = [BundleLayout.testsLog: tests.log]
        for item in packaged {
            files[item.bundlePath] = item.template.bytes
            files[BundleLayout.parameters(stack: item.stack.name)] = try parametersFile(item.stack)
        }
        let byName = Dictionary(uniqueKeysWithValues: packaged.map { ($0.stack.name, $0) })
        let manifest = Manifest(
            pipeline: pipeline, version: snapshot.version, createdAt: Timestamp.format(snapshot.commit.time.date),
            source: snapshot.manifestSource(repositoryName: repositoryName), tests: tests.runs,
            stacks: order.map { stack in
                Manifest.Stack(name: stack.name, template: byName[stack.name]!.bundlePath, parameters: stack.parameters,
                               capabilities: stack.capabilities.map(\.rawValue), tags: stack.tags,
                               dependsOn: stack.dependsOn, region: stack.region)
            },
            files: files.keys.sorted().map { Manifest.File(path: $0, size: files[$0]!.count, sha256: sha256Hex(files[$0]!)) },
            artifacts: artifacts.keys.sorted().map { Manifest.Artifact(key: $0, size: artifacts[$0]!.size,
                                                                       sha256: artifacts[$0]!.sha256) })
        let manifestBytes: Data, signature: Data
        do {
            (manifestBytes, signature) = try signManifest(manifest, with: key)
        } catch {
            throw BuildError(error, doing: "signing the manifest")
        }
        let entries = files.map { ZipEntry(name: $0.key, source: .bytes($0.value)) }
            + [ZipEntry(name: BundleLayout.manifest, source: .bytes(manifestBytes))]
        let written: WrittenZip
        do {
            written = try writeZip(entries: entries, to: bundlePath, mtime: snapshot.commit.time.date, durable: durable)
        } catch {
            throw BuildError(error, doing: "writing the bundle \(bundlePath)")
        }
        return BuiltBundle(manifest: manifest, manifestBytes: manifestBytes, signature: signature, bundlePath: bundlePath,
                           bundleSha256: written.sha256, bundleSize: written.size)
    }

    /// `{"Parameters":{…},"Tags":{…}}`, canonical JSON (CodePipeline's template configuration).
    static func parametersFile(_ stack: PipelineDefinition.Stack) throws(BuildError) -> Data {
        struct Configuration: Encodable {
            let Parameters: [String: String]
            let Tags: [String: String]
        }
        do {
            return try CanonicalJSON.encode(Configuration(Parameters: stack.parameters, Tags: stack.tags))
        } catch {
            throw BuildError(error, doing: "writing the parameters of \(stack.name)")
        }
    }
}
