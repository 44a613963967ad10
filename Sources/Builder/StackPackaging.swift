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

/// Packages every stack's template of a pipeline through the cache sink, in two steps:
/// `plan`, a storing-nothing pass that checks every template and path and finds the code
/// folders the templates point to (cheap: it runs before the tests, so a broken template
/// fails the build before minutes of tests); then `package`, which zips the folders not
/// cached yet in parallel and packages each template for real.
/// A template over the inline limit is stored as an artifact too (the agent deploys it
/// from `PREFIX/artifacts/sha256/<sha256 of the template>`).
enum StackPackaging {
    /// The checked templates of a pipeline and the code folders they point to.
    struct Plan {
        let templates: [(stack: PipelineDefinition.Stack, path: String)]
        let folders: [String]
        let root: String
    }

    static func plan(_ definition: PipelineDefinition, files: CommitFiles) throws(BuildError) -> Plan {
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
                _ = try TemplatePackager.package(templateAt: path, sink: planner, within: root, files: files,
                                                 checkFirst: false)
            } catch {
                throw failure(error)
            }
        }
        return Plan(templates: templates, folders: planner.folders, root: root)
    }

    static func package(_ plan: Plan, sink: CommitArtifactSink, width: Int) throws(BuildError) -> [PackagedStack] {
        try sink.prepare(folders: plan.folders, width: width)
        var packaged: [PackagedStack] = []
        for (stack, path) in plan.templates {
            let template: PackagedTemplate
            do {
                template = try TemplatePackager.package(templateAt: path, sink: sink, within: plan.root, files: sink.files,
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
