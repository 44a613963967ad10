import Basics
import Foundation

/// One folder or file of a commit's tree, listed without reading any content.
public struct TreeEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case folder
        case file
        /// A file git records as executable (mode 100755).
        case executable
    }

    /// The path relative to the listed folder, `/`-separated.
    public let path: String
    public let kind: Kind
    /// The git object id (a tree for a folder, a blob for a file), 40 lowercase hex digits.
    /// A folder's tree id names its exact content.
    public let id: String

    public init(path: String, kind: Kind, id: String) {
        self.path = path
        self.kind = kind
        self.id = id
    }
}

extension Repository {
    /// Every folder and file under `path` (relative to the repository root; "" for the
    /// root) of `commit`, recursively, sorted by path (byte order), without reading any
    /// file's content. Like `exportTree`, a submodule throws `.submodule` and a symbolic
    /// link `.symlink`, naming the path; a missing folder throws `.pathNotFound`.
    /// The corresponding C functions are `git_tree_entry_bypath`, `git_tree_lookup` and
    /// `git_tree_entry_byindex`.
    public func listTree(commit: Commit, path: String = "") throws(GitError) -> [TreeEntry] {
        let prefix = Self.normalisedPath(path)
        guard let root = try handle.treeID(commit: try Self.objectID(commit), path: prefix) else {
            throw GitError(.pathNotFound, "there is no folder '\(prefix)' in commit \(commit.id): check the path")
        }
        var entries: [TreeEntry] = []
        try handle.walk(tree: root, prefix: prefix) { path, item in
            let kind: TreeEntry.Kind = switch item.kind {
            case .tree: .folder
            case .executable: .executable
            default: .file
            }
            entries.append(TreeEntry(path: path, kind: kind, id: item.id.hex))
        }
        return entries  // the walk's order: byte order of the paths
    }

    /// The content of the blob `id` (a file's id from `listTree`), copied out of libgit2.
    /// The corresponding C functions are `git_blob_lookup` and `git_blob_rawcontent`.
    public func blob(_ id: String) throws(GitError) -> Data {
        guard let object = ObjectID(hex: id) else { throw GitError(.library, "'\(id)' is not a git object id") }
        return try handle.withBlob(object) { bytes in Data(bytes) }
    }

    /// Calls `body` with the content of the blob `id`, valid only during the call (no
    /// copy: for bytes that are compressed or hashed right away).
    public func withBlob<T>(_ id: String, _ body: (UnsafeRawBufferPointer) -> T) throws(GitError) -> T {
        guard let object = ObjectID(hex: id) else { throw GitError(.library, "'\(id)' is not a git object id") }
        return try handle.withBlob(object) { bytes in body(bytes) }
    }
}

extension LibGit2Repository {
    /// Visits every entry under `tree`, depth first, in byte order of the whole paths
    /// (a folder before its content), with its path relative to `tree`; only folders,
    /// files and executables: a submodule or a symbolic link is refused (`prefix`, the
    /// tree's path in the commit, names it).
    ///
    /// git orders a folder by its name and a `/`, so its content already sits where
    /// byte order puts it; only the folder's own entry moves, to where its bare name
    /// sorts (`numpy` comes before `numpy.libs`, its content after `numpy.libs/`).
    func walk(tree: ObjectID, prefix: String, relative: String = "",
              _ visit: (_ path: String, _ item: TreeItem) -> Void) throws(GitError) {
        var steps: [(key: String, item: TreeItem, enter: Bool)] = []
        for item in try entries(ofTree: tree) {
            steps.append((item.name, item, false))
            if item.kind == .tree { steps.append((item.name + "/", item, true)) }
        }
        steps.sort { $0.key.utf8Precedes($1.key) }
        for (_, item, enter) in steps {
            let path = relative.isEmpty ? item.name : relative + "/" + item.name
            if enter {
                try walk(tree: item.id, prefix: prefix, relative: path, visit)
                continue
            }
            switch item.kind {
            case .tree, .file, .executable:
                visit(path, item)
            case .submodule:
                let shown = prefix.isEmpty ? path : prefix + "/" + path
                throw GitError(.submodule,
                               "\(shown) is a git submodule; submodules are not supported: vendor the code into the repository, "
                                   + "or point the pipeline at a folder without submodules")
            case .symlink:
                let shown = prefix.isEmpty ? path : prefix + "/" + path
                throw GitError(.symlink,
                               "\(shown) is a symbolic link; links are not exported: commit the file it points to instead")
            }
        }
    }
}
