import Foundation
import Git

/// Reading a pipeline out of a commit: its definition (from the commit, never the
/// working tree, so the same commit always builds the same way) and, for its tests, a
/// checkout of its source folder.
enum Checkout {
    /// `pipelines/<name>.yaml` as the commit has it, parsed and checked. Its templates
    /// are checked against the commit when packaging.
    static func definition(_ name: String, commit: Commit, repository: Repository) throws(BuildError) -> PipelineDefinition {
        let file = "pipelines/\(name).yaml"
        let listing: [TreeEntry]
        do {
            listing = try repository.listTree(commit: commit, path: "pipelines")
        } catch where error.code == .pathNotFound {
            throw BuildError(.pipeline, "commit \(commit.id.prefix(12)) has no pipelines/ folder: commit "
                + "\(file) (see docs/pipelines.md) and build again")
        } catch {
            throw BuildError(error, doing: "reading pipelines/ of commit \(commit.id.prefix(12))")
        }
        guard let entry = listing.first(where: { $0.path == "\(name).yaml" && $0.kind != .folder }) else {
            let known = listing.filter { !$0.path.contains("/") && $0.path.hasSuffix(".yaml") && $0.kind != .folder }
                .map { String($0.path.dropLast(5)) }
            throw BuildError(.pipeline, "commit \(commit.id.prefix(12)) has no \(file)"
                + (known.isEmpty ? "" : "; its pipelines are: \(known.joined(separator: ", "))")
                + ". Pipelines are read from the commit being built: commit the file first")
        }
        let yaml: String
        do {
            yaml = String(decoding: try repository.blob(entry.id), as: UTF8.self)
        } catch {
            throw BuildError(error, doing: "reading \(file) of commit \(commit.id.prefix(12))")
        }
        let definition: PipelineDefinition
        do {
            definition = try PipelineDefinitionParser(file: file, sourceExists: { _ in true }, expectedName: name).parse(yaml)
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

    /// Writes the pipeline's source folder of `commit` into `folder` (for the tests).
    static func export(_ definition: PipelineDefinition, _ commit: Commit, _ repository: Repository,
                       to folder: String) throws(BuildError) -> ExportSummary {
        do {
            return try repository.exportTree(commit: commit, subpath: definition.source.path, to: folder)
        } catch {
            throw BuildError(error, doing: "exporting \(definition.source.path.isEmpty ? "the source" : definition.source.path) "
                + "of commit \(commit.id.prefix(12))")
        }
    }
}
