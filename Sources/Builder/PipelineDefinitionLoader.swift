import Foundation

extension PipelineDefinition {
    /// Reads and validates `repositoryRoot/file` (e.g. `pipelines/webapp.yaml`). The
    /// `pipeline:` name must match the file's name (`webapp`).
    ///
    /// Template paths are checked with `sourceExists` when given (the builder passes one
    /// that looks in the exported commit). Without it, they are checked on disk: in
    /// `repositoryRoot` when the source is the same repository, in the folder
    /// `source.repository` names when that is a local path; a source that is a URL
    /// cannot be checked before it is cloned, so its templates are not.
    public static func load(file: String, repositoryRoot: String,
                            sourceExists: ((String) -> Bool)? = nil) throws(PipelineDefinitionError) -> PipelineDefinition {
        let path = repositoryRoot + "/" + file
        let yaml: String
        do {
            yaml = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PipelineDefinitionError(code: .unreadable, file: file, line: nil,
                                          message: "cannot read the file (\(error.localizedDescription)); check the path")
        }
        let fileName = PackagerPaths.name(file)
        let expected = fileName.hasSuffix(".yaml") ? String(fileName.dropLast(5))
            : fileName.hasSuffix(".yml") ? String(fileName.dropLast(4)) : fileName
        func parse(_ exists: (String) -> Bool) throws(PipelineDefinitionError) -> PipelineDefinition {
            try withoutActuallyEscaping(exists) { exists throws(PipelineDefinitionError) in
                try PipelineDefinitionParser(file: file, sourceExists: exists, expectedName: expected).parse(yaml)
            }
        }
        if let sourceExists { return try parse(sourceExists) }

        // Find out where the source is, then check the templates there.
        let unchecked = try parse { _ in true }
        let sourceRoot: String
        switch unchecked.source.repository {
        case nil: sourceRoot = repositoryRoot
        case let repository? where PackagerPaths.isRemote(repository) || repository.contains("@"): return unchecked
        case let repository? where repository.hasPrefix("/"): sourceRoot = repository
        case let repository?: sourceRoot = repositoryRoot + "/" + repository
        }
        return try parse { relative in
            PackagerPaths.kind(of: sourceRoot + "/" + relative) == .file
        }
    }
}
