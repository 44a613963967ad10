import Basics
import Foundation
import Manifest

/// One stack's packaged template.
struct PackagedStack {
    let stack: PipelineDefinition.Stack
    let template: PackagedTemplate
    /// The template's path in the bundle, `templates/<stack>.<yaml|json>`.
    var bundlePath: String { BundleLayout.template(stack: stack.name, ext: template.format == .json ? "json" : "yaml") }
}

/// Packages every stack's template of a pipeline through the cache sink: a first,
/// storing-nothing pass checks every template and path and finds the code folders the
/// templates point to, so that those not cached yet are zipped in parallel; then each
/// template is packaged for real.
/// A template over the inline limit is stored as an artifact too (the agent deploys it
/// from `PREFIX/artifacts/sha256/<sha256 of the template>`).
enum StackPackaging {
    static func package(_ definition: PipelineDefinition, sink: CommitArtifactSink,
                        width: Int) throws(BuildError) -> [PackagedStack] {
        let files = sink.files
        let root = files.root
        let templates = definition.stacks.map { (stack: $0, path: PackagerPaths.normalize(root + "/" + $0.template)) }
        for (stack, path) in templates where files.kind(of: path) != .file {
            throw BuildError(.pipeline, "pipelines/\(definition.name).yaml: template '\(stack.template)' of stack "
                + "'\(stack.name)' does not exist in the commit (looked for \(CommitFiles.repositoryPath(path))); "
                + "paths are relative to source.path")
        }
        let planner = FolderPlanner()
        for (_, path) in templates {
            do {
                // The planner stores nothing: this pass is the check that everything exists.
                _ = try TemplatePackager.package(templateAt: path, sink: planner, within: root, files: files,
                                                 checkFirst: false)
            } catch {
                throw failure(error)
            }
        }
        try sink.prepare(folders: planner.folders, width: width)
        var packaged: [PackagedStack] = []
        for (stack, path) in templates {
            let template: PackagedTemplate
            do {
                template = try TemplatePackager.package(templateAt: path, sink: sink, within: root, files: files,
                                                        checkFirst: false)
            } catch {
                throw failure(error)
            }
            if template.needsURL { _ = try sink.storeBytes(template.bytes, suggestedName: stack.template) }
            packaged.append(PackagedStack(stack: stack, template: template))
        }
        return packaged
    }

    /// A packaging error; its paths are the repository's (without the virtual root's `/`).
    private static func failure(_ error: PackagerError) -> BuildError {
        var error = error
        if error.template.hasPrefix("/") { error.template.removeFirst() }
        return BuildError(.packaging, "packaging failed: \(error.description)")
    }
}

/// A sink that stores nothing and remembers the folders asked for: the planning pass.
final class FolderPlanner: ArtifactSink {
    private(set) var folders: [String] = []
    let objectURLBase = "https://planning.invalid"

    func storeFolder(at path: String) throws -> ArtifactLocation {
        folders.append(PackagerPaths.normalize(path))
        return placeholder(path)
    }

    func storeZippedFile(at path: String) throws -> ArtifactLocation { placeholder(path) }
    func storeFile(at path: String) throws -> ArtifactLocation { placeholder(path) }
    func storeBytes(_ data: Data, suggestedName: String) throws -> ArtifactLocation { placeholder(suggestedName) }

    private func placeholder(_ name: String) -> ArtifactLocation {
        let digest = sha256Hex(Data(name.utf8))
        return ArtifactLocation(bucket: "planning", key: "artifacts/sha256/" + digest, sha256: digest, size: 0)
    }
}
