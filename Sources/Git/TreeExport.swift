import Basics
import Foundation

/// One file written by `Repository.exportTree`.
public struct ExportedFile: Sendable, Hashable {
    /// The path relative to the export folder, `/`-separated.
    public let path: String
    public let size: Int64
    /// True when git records the file as executable (mode 100755); written as 0755, else 0644.
    public let executable: Bool

    public init(path: String, size: Int64, executable: Bool) {
        self.path = path
        self.size = size
        self.executable = executable
    }
}

/// What `Repository.exportTree` wrote.
public struct ExportSummary: Sendable, Hashable {
    /// The git tree id of the exported folder: it names the exact content written.
    public let treeId: String
    /// Every file written, sorted by path (byte order).
    public let files: [ExportedFile]

    public init(treeId: String, files: [ExportedFile]) {
        self.treeId = treeId
        self.files = files
    }

    /// The sum of the files' sizes.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }
}

extension Repository {
    /// Writes the files of `commit` — its committed tree, never the working tree — into
    /// `folder`, which must not exist yet and is created (with missing parents).
    ///
    /// - `subpath`: export only that folder of the commit, as the root of `folder`.
    /// - Files are written 0644, or 0755 when git records them executable.
    /// - Submodules (gitlinks) throw `.submodule` and symbolic links throw `.symlink`,
    ///   both naming the path, before anything is written: a link's meaning depends on
    ///   the machine it lands on, and the bundle zip carries regular files only.
    /// - On any failure the folder is removed: nothing half-written is left.
    ///
    /// The corresponding C functions are `git_tree_lookup`, `git_tree_entry_byindex`,
    /// `git_blob_lookup` and `git_blob_rawcontent`; each file is one open/write/close.
    public func exportTree(commit: Commit, subpath: String? = nil, to folder: String) throws(GitError) -> ExportSummary {
        let prefix = Self.normalisedPath(subpath ?? "")
        guard let root = try handle.treeID(commit: try Self.objectID(commit), path: prefix) else {
            throw GitError(.pathNotFound, "there is no folder '\(prefix)' in commit \(commit.id): check the path in the pipeline definition")
        }
        var plan = ExportPlan()
        try plan.collect(tree: root, prefix: prefix, from: handle)

        var status = stat()
        if lstat(folder, &status) == 0 {
            throw GitError(.destinationExists, "\(folder) already exists: export into a fresh folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw GitError(.io, "could not create \(folder)", cause: "\(error)")
        }
        var files: [ExportedFile] = []
        files.reserveCapacity(plan.files.count)
        do {
            for directory in plan.directories { try makeDirectory(folder + "/" + directory) }
            for file in plan.files {
                let size = try handle.withBlob(file.id) { (bytes) throws(GitError) in
                    try writeFile(folder + "/" + file.path, bytes, mode: file.executable ? 0o755 : 0o644)
                    return Int64(bytes.count)
                }
                files.append(ExportedFile(path: file.path, size: size, executable: file.executable))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return ExportSummary(treeId: root.hex,
                             files: files.sorted { $0.path.utf8Precedes($1.path) })
    }
}

/// The folders and files of a tree, gathered before anything is written so that a
/// submodule or link is refused with nothing on disk.
private struct ExportPlan {
    struct File {
        let path: String
        let id: ObjectID
        let executable: Bool
    }

    var directories: [String] = []
    var files: [File] = []

    mutating func collect(tree: ObjectID, prefix: String, from repository: LibGit2Repository) throws(GitError) {
        try repository.walk(tree: tree, prefix: prefix) { path, item in
            if item.kind == .tree {
                directories.append(path)
            } else {
                files.append(File(path: path, id: item.id, executable: item.kind == .executable))
            }
        }
    }
}

private func makeDirectory(_ path: String) throws(GitError) {
    if mkdir(path, 0o755) != 0 { throw GitError(.io, "could not create folder \(path)", cause: String(cString: strerror(errno))) }
}

/// One `open(O_CREAT|O_EXCL|O_NOFOLLOW)`, writes, `fchmod` (the umask does not decide the
/// mode), `close`.
private func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer, mode: mode_t) throws(GitError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else { throw ioError("open", path) }
    var written = 0
    while written < bytes.count {
        let result = write(fd, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 {
            if errno == EINTR { continue }
            let error = ioError("write", path)
            close(fd)
            throw error
        }
        written += result
    }
    if fchmod(fd, mode) != 0 {
        let error = ioError("fchmod", path)
        close(fd)
        throw error
    }
    if close(fd) != 0 { throw ioError("close", path) }
}

private func ioError(_ function: String, _ path: String) -> GitError {
    GitError(.io, "could not write \(path)", function: function, cause: String(cString: strerror(errno)))
}
