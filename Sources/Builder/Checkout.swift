import Foundation
import Git

/// Reading a pipeline out of a commit: its definition (from the commit, never the
/// working tree, so the same commit always builds the same way) and its source folder.
enum Checkout {
    /// `pipelines/<name>.yaml` as the commit has it, parsed and checked. Its templates
    /// are checked later, in the exported source (`checkTemplates`).
    static func definition(_ name: String, commit: Commit, repository: Repository,
                           scratch: String) throws(BuildError) -> PipelineDefinition {
        let file = "pipelines/\(name).yaml"
        let folder = scratch + "/definition"
        do {
            _ = try repository.exportTree(commit: commit, subpath: "pipelines", to: folder + "/pipelines")
        } catch where error.code == .pathNotFound {
            throw BuildError(.pipeline, "commit \(commit.id.prefix(12)) has no pipelines/ folder: commit "
                + "\(file) (see docs/pipelines.md) and build again")
        } catch {
            throw BuildError(error, doing: "reading pipelines/ of commit \(commit.id.prefix(12))")
        }
        guard FileManager.default.fileExists(atPath: folder + "/" + file) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/pipelines")) ?? [])
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
            throw BuildError(.pipeline, "commit \(commit.id.prefix(12)) has no \(file)"
                + (known.isEmpty ? "" : "; its pipelines are: \(known.joined(separator: ", "))")
                + ". Pipelines are read from the commit being built: commit the file first")
        }
        let definition: PipelineDefinition
        do {
            definition = try PipelineDefinition.load(file: file, repositoryRoot: folder, sourceExists: { _ in true })
        } catch {
            throw BuildError(.pipeline, "\(error.description) (in commit \(commit.id.prefix(12)))")
        }
        if let other = definition.source.repository {
            throw BuildError(.pipeline, "\(file): source.repository '\(other)' names another repository; ferry builds "
                + "the repository holding the definition only: remove source.repository, or move the "
                + "definition into that repository")
        }
        return definition
    }

    /// Exports the pipeline's source folder of `commit` into `folder`. With a cache,
    /// a code folder whose zip the cache holds by tree id is left empty (not even read),
    /// unless a stack's template lies in it.
    static func export(_ definition: PipelineDefinition, _ commit: Commit, _ repository: Repository, to folder: String,
                       cache: ArtifactCache?) throws(BuildError) -> ExportSummary {
        let templates = definition.stacks.map(\.template)
        let skip: ((String, String) -> Bool)? = cache.map { cache in
            { path, treeId in
                !templates.contains { $0.hasPrefix(path + "/") } && cache.zipOfTree(treeId) != nil
            }
        }
        do {
            return try repository.exportTree(commit: commit, subpath: definition.source.path, to: folder,
                                             skippingFolders: skip)
        } catch {
            throw BuildError(error, doing: "exporting \(definition.source.path.isEmpty ? "the source" : definition.source.path) "
                + "of commit \(commit.id.prefix(12))")
        }
    }

    /// Every stack's template exists in the exported source (docs/pipelines.md `missingTemplate`).
    static func checkTemplates(_ definition: PipelineDefinition, in folder: String) throws(BuildError) {
        for stack in definition.stacks where PackagerPaths.kind(of: folder + "/" + stack.template) != .file {
            throw BuildError(.pipeline, "pipelines/\(definition.name).yaml: template '\(stack.template)' of stack "
                + "'\(stack.name)' does not exist in the commit (looked for "
                + "\(definition.source.repositoryPath(of: stack.template))); paths are relative to source.path")
        }
    }
}
