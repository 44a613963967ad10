import Foundation
import Git

/// A commit's source folder as the packager sees it, read straight from git: no
/// checkout, so what is packaged is exactly what was committed. Paths are virtual:
/// `/` + the path in the repository (`/app/src/fn` for `app/src/fn`).
///
/// Holds a `Repository`, which is not thread-safe: use it on one thread.
final class CommitFiles: PackagerFiles {
    let repository: Repository
    let commit: Commit
    /// The source folder in the repository ("" for the root).
    let sourcePath: String
    /// Every folder and file under the source folder, by repository path, sorted.
    let entries: [TreeEntry]
    private let index: [String: TreeEntry]

    init(repository: Repository, commit: Commit, sourcePath: String) throws(BuildError) {
        self.repository = repository
        self.commit = commit
        self.sourcePath = sourcePath
        let listed: [TreeEntry]
        do {
            listed = try repository.listTree(commit: commit, path: sourcePath)
        } catch {
            throw BuildError(error, doing: "reading \(sourcePath.isEmpty ? "the source" : sourcePath) of commit "
                + "\(commit.id.prefix(12))")
        }
        let prefix = sourcePath.isEmpty ? "" : sourcePath + "/"
        entries = listed.map { TreeEntry(path: prefix + $0.path, kind: $0.kind, id: $0.id) }
        index = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
    }

    /// The virtual absolute path of the source folder.
    var root: String { "/" + sourcePath }

    /// The repository path of a virtual absolute path.
    static func repositoryPath(_ path: String) -> String {
        String(PackagerPaths.normalize(path).drop { $0 == "/" })
    }

    func kind(of path: String) -> PackagerKind {
        let relative = Self.repositoryPath(path)
        if relative == sourcePath { return .folder }
        switch index[relative]?.kind {
        case .folder?: return .folder
        case .file?, .executable?: return .file
        case nil: return .missing
        }
    }

    func contents(of path: String) throws -> Data {
        guard let entry = index[Self.repositoryPath(path)], entry.kind != .folder else {
            throw BuildError(.packaging, "\(Self.repositoryPath(path)) is not a file of commit \(commit.id.prefix(12))")
        }
        return try repository.blob(entry.id)
    }

    func isZip(_ path: String) -> Bool {
        guard let data = try? contents(of: path) else { return false }
        return PackagerPaths.hasZipEnd(data)
    }

    /// The entry at a virtual path (nil for the source root and for missing paths).
    func entry(_ path: String) -> TreeEntry? { index[Self.repositoryPath(path)] }

    /// The git tree id of a folder (the source root included).
    func treeId(of path: String) throws(BuildError) -> String {
        if let entry = entry(path), entry.kind == .folder { return entry.id }
        do {
            guard let id = try repository.treeId(commit: commit, path: Self.repositoryPath(path)) else {
                throw BuildError(.packaging, "\(Self.repositoryPath(path)) is not a folder of commit \(commit.id.prefix(12))")
            }
            return id
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(.source, "reading the tree of \(Self.repositoryPath(path))", cause: "\(error)")
        }
    }

    /// The files under a folder, named relative to it, in byte order: a code zip's entries.
    func files(under path: String) -> [FolderZip.Item] { Self.files(under: path, in: entries) }

    /// `files(under:)` of a listing (`entries`), on any thread.
    static func files(under path: String, in entries: [TreeEntry]) -> [FolderZip.Item] {
        let folder = repositoryPath(path)
        let prefix = folder.isEmpty ? "" : folder + "/"
        return entries.compactMap { entry in
            guard entry.kind != .folder, entry.path.hasPrefix(prefix) else { return nil }
            return FolderZip.Item(name: String(entry.path.dropFirst(prefix.count)), executable: entry.kind == .executable,
                                  blob: entry.id, path: entry.path)
        }
    }
}
