import Basics
extension Manifest {
    /// Refuses a manifest Ferry would not write: a bad pipeline name or time, a commit
    /// that is not a full hex id, negative sizes or durations, bad digests, unsafe or
    /// repeated file paths, repeated stack names, a template that is not one of `files`,
    /// a `dependsOn` naming a stack that is not listed earlier, sizes whose
    /// sum (with the zip's overhead) would not fit in an `Int64`.
    public func validate() throws(ManifestError) {
        try Check.name(pipeline, "pipeline", as: "pipeline")
        try Check.timestamp(createdAt, "createdAt")
        guard [40, 64].contains(source.commit.utf8.count), Hex.decode(source.commit) != nil else {
            throw ManifestError(.invalidValue, "the field `source.commit` must be a full commit id in lowercase hex",
                                field: "source.commit")
        }
        for (index, test) in tests.enumerated() {
            try Check.nonNegative(test.durationMs, "tests[\(index)].durationMs")
        }
        var paths = Set<String>()
        for (index, file) in files.enumerated() {
            let field = "files[\(index)]"
            try Manifest.checkPath(file.path, field + ".path")
            try Check.nonNegative(file.size, field + ".size")
            try Check.sha256(file.sha256, field + ".sha256")
            guard paths.insert(file.path).inserted else {
                throw ManifestError(.invalidValue, "the file \"\(file.path)\" is listed twice", field: field + ".path")
            }
        }
        for (index, artifact) in artifacts.enumerated() {
            let field = "artifacts[\(index)]"
            guard !artifact.key.isEmpty else {
                throw ManifestError(.invalidValue, "the field `\(field).key` is empty", field: field + ".key")
            }
            try Check.nonNegative(artifact.size, field + ".size")
            try Check.sha256(artifact.sha256, field + ".sha256")
        }
        var earlier = Set<String>()
        for (index, stack) in stacks.enumerated() {
            let field = "stacks[\(index)]"
            try Check.name(stack.name, field + ".name", as: "stack")
            guard paths.contains(stack.template) else {
                throw ManifestError(.invalidValue, "the stack \"\(stack.name)\" names the template \"\(stack.template)\", "
                    + "which is not one of the manifest's files", field: field + ".template")
            }
            for dependency in stack.dependsOn where !earlier.contains(dependency) {
                throw ManifestError(.invalidValue, "the stack \"\(stack.name)\" depends on \"\(dependency)\", which is "
                    + "not a stack listed before it", field: field + ".dependsOn")
            }
            if let region = stack.region {
                try Check.name(region, field + ".region", as: "region")
            }
            guard earlier.insert(stack.name).inserted else {
                throw ManifestError(.invalidValue, "the stack \"\(stack.name)\" is listed twice", field: field + ".name")
            }
        }
        // Sizes are summed by whoever reads the manifest (the bundle size limit, the
        // artifacts' total): refuse here what no sum can hold.
        _ = try checkedBundleSizeLimit(manifestBytes: SizeCap.manifest)
        var artifactBytes = Checked.Sum(0, what: "the sizes of the manifest's artifacts")
        for artifact in artifacts { try artifactBytes.add(Int64(artifact.size)) }
    }

    /// A bundle path must stay inside the bundle: relative, `/`-separated, no empty,
    /// `.` or `..` parts, no backslash or NUL.
    static func checkPath(_ path: String, _ field: String) throws(ManifestError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let safe = !path.isEmpty && !path.contains("\\") && !path.contains("\0")
            && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
        guard safe else {
            throw ManifestError(.invalidValue, "the path \"\(path)\" must be relative and stay inside the bundle "
                + "(no leading '/', no '.' or '..' parts)", field: field)
        }
    }
}
