import Foundation

/// The fresh folder an extraction writes into, and the descriptors of the folders made
/// in it. Every file and folder is created relative to a descriptor of a folder Ferry
/// made itself, with `O_NOFOLLOW`, so no path is ever resolved through a link.
final class StagingFolder {
    /// The real path of the folder (its parent went through `realpath`).
    let path: String
    private var folders: [String: Int32]

    /// Creates `folder` (mode 0700) in the `realpath` of its parent; `.destinationExists`
    /// if it is already there.
    init(creating folder: String) throws(ArchiveError) {
        let name = (folder as NSString).lastPathComponent
        var parent = (folder as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        guard !name.isEmpty, name != ".", name != "..", !folder.hasSuffix("/") else {
            throw ArchiveError(.unsafePath, "'\(folder)' does not name a new folder to extract into")
        }
        guard let real = realpath(parent, nil) else { throw ioError("realpath", parent) }
        let base = String(cString: real)
        free(real)
        path = (base == "/" ? "" : base) + "/" + name
        guard mkdir(path, 0o700) == 0 else {
            if errno == EEXIST {
                throw ArchiveError(.destinationExists, "\(path) already exists: extract into a fresh folder",
                                   function: "mkdir", cause: String(cString: strerror(errno)))
            }
            throw ioError("mkdir", path)
        }
        let root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else {
            let error = ioError("open", path)
            rmdir(path)
            throw error
        }
        folders = ["": root]
    }

    deinit { closeFolders() }

    /// The descriptor of the folder `relative` (normalised, "" for the root), creating it
    /// and its parents (mode 0755) as needed.
    func directory(_ relative: String, entry: String) throws(ArchiveError) -> Int32 {
        if let fd = folders[relative] { return fd }
        if folders.count > Self.openFolderLimit { closeFoldersButRoot() }
        let (parentPath, name) = split(relative)
        let parent = try directory(parentPath, entry: entry)
        if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST { throw ioError("mkdirat", relative, entry: entry) }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("openat", relative, entry: entry) }
        folders[relative] = fd
        return fd
    }

    /// Creates the file `relative` (normalised) with exactly `mode` and returns its
    /// descriptor, open for writing; fails if anything is already there.
    func createFile(_ relative: String, mode: mode_t, entry: String) throws(ArchiveError) -> Int32 {
        let (parentPath, name) = split(relative)
        let parent = try directory(parentPath, entry: entry)
        let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ioError("openat", relative, entry: entry) }
        guard fchmod(fd, mode) == 0 else {
            let error = ioError("fchmod", relative, entry: entry)
            close(fd)
            throw error
        }
        return fd
    }

    /// Folder descriptors kept open at most, so that a zip of many folders cannot run
    /// the process out of descriptors. A closed one is reopened from its parent.
    static let openFolderLimit = 64

    /// How many folder descriptors are open now.
    var openFolderCount: Int { folders.count }

    private func closeFoldersButRoot() {
        for (relative, fd) in folders where !relative.isEmpty { close(fd) }
        folders = folders.filter { $0.key.isEmpty }
    }

    /// Closes the folder descriptors (the folders stay).
    func closeFolders() {
        for fd in folders.values { close(fd) }
        folders = [:]
    }

    /// Closes everything and deletes the folder with all it holds.
    func remove() {
        closeFolders()
        try? FileManager.default.removeItem(atPath: path)
    }

    private func split(_ relative: String) -> (parent: String, name: String) {
        guard let slash = relative.lastIndex(of: "/") else { return ("", relative) }
        return (String(relative[..<slash]), String(relative[relative.index(after: slash)...]))
    }
}
