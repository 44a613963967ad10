// The one file of the Git module that calls libgit2. Everything here is internal:
// C pointers are freed in the scope that looked them up, after their contents were
// copied into Swift values; the repository handle is owned by `LibGit2Repository`.
internal import CGit2
import Basics
import Foundation

/// libgit2 must be initialised once per process before any other call (never shut down).
private let libgit2Initialised: Int32 = {
    let result = git_libgit2_init()
    // Objects read are not hashed again with SHA-1 (git itself does not either, outside
    // fsck): that was a fifth of the time of zipping code from a commit. What Ferry
    // ships is hashed with SHA-256 from then on.
    _ = ferry_git_set_strict_hash_verification(0)
    return result
}()

/// libgit2's one-time set-up, ahead of the first repository.
public enum GitLibrary {
    /// Runs the set-up on a thread of its own: it parses the system's CA bundle (2-3 ms
    /// of CPU, for transports Ferry never uses), which a command that opens a repository
    /// soon then finds done. The first repository opened waits for it if need be.
    public static func startInBackground() {
        Thread.detachNewThread { _ = libgit2Initialised }
    }
}

/// A git object id, kept in libgit2's binary form so lookups need no parsing.
struct ObjectID: Hashable {
    fileprivate var raw: git_oid

    fileprivate init(_ pointer: UnsafePointer<git_oid>) { raw = pointer.pointee }

    /// Parses 40 hex digits; nil for anything else.
    init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ $0 < 128 && UInt8($0).isHexDigit }) else { return nil }
        var oid = git_oid()
        guard git_oid_fromstr(&oid, hex) == 0 else { return nil }
        raw = oid
    }

    /// 40 lowercase hex digits (`git_oid_tostr_s`).
    var hex: String { withUnsafePointer(to: raw) { String(cString: git_oid_tostr_s($0)) } }

    static func == (lhs: ObjectID, rhs: ObjectID) -> Bool {
        withUnsafePointer(to: lhs.raw) { l in withUnsafePointer(to: rhs.raw) { r in git_oid_equal(l, r) == 1 } }
    }

    func hash(into hasher: inout Hasher) { withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) } }
}

private extension UInt8 {
    var isHexDigit: Bool { (48...57).contains(self) || (97...102).contains(self) || (65...70).contains(self) }
}

/// One entry of a git tree, copied out of libgit2.
struct TreeItem {
    enum Kind { case tree, file, executable, symlink, submodule }
    let name: String
    let kind: Kind
    let id: ObjectID
}

/// Owns one `git_repository` and is the only caller of libgit2 in the module.
final class LibGit2Repository {
    private let pointer: OpaquePointer

    private init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_repository_free(pointer) }

    // MARK: Opening

    /// `git_repository_open_ext`, searching upward from `path`.
    static func open(discoveringFrom path: String) throws(GitError) -> LibGit2Repository {
        _ = libgit2Initialised
        var repository: OpaquePointer?
        let result = git_repository_open_ext(&repository, path, 0, nil)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(.repositoryNotFound,
                           "no git repository at or above \(path): run Ferry inside a clone, or give the repository's path",
                           function: "git_repository_open_ext", cause: lastMessage())
        }
        try check(result, "git_repository_open_ext", .library, "could not open the git repository at \(path)")
        return LibGit2Repository(repository!)
    }

    /// `git_clone` of `url` (a path, a `file://` URL, or any transport libgit2 has) into `path`.
    static func clone(url: String, to path: String, bare: Bool) throws(GitError) -> LibGit2Repository {
        _ = libgit2Initialised
        var options = git_clone_options()
        try check(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)),
                  "git_clone_options_init", .library, "could not prepare the clone of \(url)")
        options.bare = bare ? 1 : 0
        var repository: OpaquePointer?
        try check(git_clone(&repository, url, path, &options), "git_clone", .cloneFailed,
                  "could not clone \(url) into \(path): check the source exists and the destination is empty")
        return LibGit2Repository(repository!)
    }

    /// `git_repository_workdir`, without the trailing slash; nil for a bare repository.
    var workdir: String? { git_repository_workdir(pointer).map { trimSlash(String(cString: $0)) } }

    /// `git_repository_path`: the `.git` folder (or the bare repository), no trailing slash.
    var gitDirectory: String { trimSlash(String(cString: git_repository_path(pointer))) }

    // MARK: Commits

    /// `git_revparse_single` then `git_object_peel` to a commit.
    func resolveCommit(_ spec: String) throws(GitError) -> Commit {
        var object: OpaquePointer?
        let result = git_revparse_single(&object, pointer, spec)
        switch result {
        case 0: break
        case GIT_ENOTFOUND.rawValue, GIT_EINVALIDSPEC.rawValue:
            throw GitError(.refNotFound,
                           "no tag, branch or commit named '\(spec)' in \(gitDirectory): check the name, or fetch the tags (git fetch --tags)",
                           function: "git_revparse_single", cause: lastMessage())
        case GIT_EAMBIGUOUS.rawValue:
            throw GitError(.ambiguousRef, "'\(spec)' matches more than one object: give more digits of the commit id",
                           function: "git_revparse_single", cause: lastMessage())
        default:
            throw failure(result, "git_revparse_single", .library, "could not resolve '\(spec)'")
        }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        guard peeled == 0, let commit else {
            throw failure(peeled, "git_object_peel", .notACommit, "'\(spec)' does not name a commit")
        }
        defer { git_object_free(commit) }
        return commitValue(commit)
    }

    private func commitValue(_ commit: OpaquePointer) -> Commit {
        Commit(id: ObjectID(git_commit_id(commit)).hex,
               treeId: ObjectID(git_commit_tree_id(commit)).hex,
               author: signatureValue(git_commit_author(commit)),
               committer: signatureValue(git_commit_committer(commit)),
               message: git_commit_message(commit).map { String(cString: $0) } ?? "")
    }

    // MARK: Tags

    /// Names of all tags (`git_tag_list`), without `refs/tags/`.
    func tagNames() throws(GitError) -> [String] {
        var names = git_strarray()
        try check(git_tag_list(&names, pointer), "git_tag_list", .library, "could not list the tags")
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
    }

    /// The tag `refs/tags/<name>` (`git_reference_lookup`), peeled to its commit; nil if absent.
    func tag(named name: String) throws(GitError) -> TagInfo? {
        var reference: OpaquePointer?
        let result = git_reference_lookup(&reference, pointer, "refs/tags/" + name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        if result == GIT_EINVALIDSPEC.rawValue {
            throw failure(result, "git_reference_lookup", .invalidTagName, "'\(name)' is not a valid tag name")
        }
        try check(result, "git_reference_lookup", .library, "could not read tag \(name)")
        defer { git_reference_free(reference) }
        // The reference's own target tells an annotated tag (a tag object) from a lightweight one.
        var direct: OpaquePointer?
        try check(git_reference_resolve(&direct, reference), "git_reference_resolve", .library, "could not read tag \(name)")
        defer { git_reference_free(direct) }
        var object: OpaquePointer?
        try check(git_object_lookup(&object, pointer, git_reference_target(direct), GIT_OBJECT_ANY),
                  "git_object_lookup", .library, "could not read tag \(name)")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        guard peeled == 0, let commit else {
            throw failure(peeled, "git_object_peel", .notACommit, "tag \(name) does not point at a commit")
        }
        defer { git_object_free(commit) }
        let annotated = git_object_type(object) == GIT_OBJECT_TAG
        return TagInfo(name: name, targetCommit: ObjectID(git_object_id(commit)).hex, annotated: annotated,
                       tagger: annotated ? git_tag_tagger(object).map(signatureValue) : nil,
                       message: annotated ? git_tag_message(object).map { String(cString: $0) } : nil)
    }

    /// `git_tag_name_is_valid`.
    func isValidTagName(_ name: String) -> Bool {
        var valid: Int32 = 0
        return git_tag_name_is_valid(&valid, name) == 0 && valid == 1
    }

    /// `git_tag_create` without force: fails with `.tagExists` if the name is taken.
    func createAnnotatedTag(name: String, commit: ObjectID, message: String, tagger: Signature) throws(GitError) {
        var oid = commit.raw
        var target: OpaquePointer?
        try check(git_object_lookup(&target, pointer, &oid, GIT_OBJECT_COMMIT), "git_object_lookup", .refNotFound,
                  "commit \(commit.hex) is not in this repository")
        defer { git_object_free(target) }
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&signature, tagger.name, tagger.email, git_time_t(tagger.time.secondsSinceEpoch),
                                    Int32(tagger.time.offsetMinutes)),
                  "git_signature_new", .library, "'\(tagger.name) <\(tagger.email)>' is not a valid tagger")
        defer { git_signature_free(signature) }
        var tagID = git_oid()
        let result = git_tag_create(&tagID, pointer, name, target, signature, message, 0)
        if result == GIT_EEXISTS.rawValue {
            throw failure(result, "git_tag_create", .tagExists, "tag \(name) already exists")
        }
        try check(result, "git_tag_create", .library, "could not create tag \(name)")
    }

    /// `git_signature_default`: `user.name` and `user.email` from the configuration, now.
    func defaultSignature() throws(GitError) -> Signature {
        var signature: UnsafeMutablePointer<git_signature>?
        let result = git_signature_default(&signature, pointer)
        guard result == 0, let signature else {
            throw failure(result, "git_signature_default", .missingIdentity,
                          "no user.name / user.email in the git configuration: set them (git config user.name \"Release Bot\"; "
                              + "git config user.email bot@example.com) or pass a tagger")
        }
        defer { git_signature_free(signature) }
        return signatureValue(signature)
    }

    // MARK: Trees and blobs

    /// The id of the folder at `path` in a commit's tree (`git_tree_entry_bypath`); nil when
    /// the path is absent or not a folder. An empty path names the root tree.
    func treeID(commit: ObjectID, path: String) throws(GitError) -> ObjectID? {
        var oid = commit.raw
        var commitObject: OpaquePointer?
        try check(git_commit_lookup(&commitObject, pointer, &oid), "git_commit_lookup", .refNotFound,
                  "commit \(commit.hex) is not in this repository")
        defer { git_commit_free(commitObject) }
        if path.isEmpty { return ObjectID(git_commit_tree_id(commitObject)) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commitObject), "git_commit_tree", .library, "could not read the tree of \(commit.hex)")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, tree, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_tree_entry_bypath", .library, "could not look up \(path) in \(commit.hex)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
        return ObjectID(git_tree_entry_id(entry))
    }

    /// The entries of one tree (`git_tree_lookup`, `git_tree_entry_byindex`), in git's order.
    func entries(ofTree id: ObjectID) throws(GitError) -> [TreeItem] {
        var oid = id.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup", .library, "could not read tree \(id.hex)")
        defer { git_tree_free(tree) }
        let count = git_tree_entrycount(tree)
        var items: [TreeItem] = []
        items.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let kind: TreeItem.Kind
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE: kind = .tree
            case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
            case GIT_FILEMODE_LINK: kind = .symlink
            case GIT_FILEMODE_COMMIT: kind = .submodule
            default: kind = .file
            }
            items.append(TreeItem(name: String(cString: git_tree_entry_name(entry)), kind: kind,
                                  id: ObjectID(git_tree_entry_id(entry))))
        }
        return items
    }

    /// Calls `body` with a blob's bytes (`git_blob_lookup`, `git_blob_rawcontent`), valid
    /// only during the call.
    func withBlob<T>(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws(GitError) -> T) throws(GitError) -> T {
        var oid = id.raw
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup", .library, "could not read blob \(id.hex)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        return try body(UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size))
    }

    // MARK: Working tree

    /// The paths under `pathspecs` that differ from HEAD in the index or the working tree,
    /// untracked ones included, ignored ones not (`git_status_list_new`); empty for a bare
    /// repository. Untracked folders are not entered: such a folder is one path.
    func changedPaths(under pathspecs: [String]) throws(GitError) -> [String] {
        guard git_repository_is_bare(pointer) == 0 else { return [] }
        refreshStatCache(under: pathspecs)
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init",
                  .library, "could not prepare a status query")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        let flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var strings = pathspecs.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var list: OpaquePointer?
        // A file whose stat data differ from the index's (a copied or restored working
        // tree, or one checked out in the same second as the index was written) is read
        // and hashed to tell. As `git status` does, the index's stat cache is refreshed
        // and written back, so only the first status after such a checkout pays that;
        // when the index cannot be written (locked by another git, read-only), the
        // status is read without it.
        var result: Int32 = 0
        for refresh in [true, false] {
            options.flags = flags | (refresh ? GIT_STATUS_OPT_UPDATE_INDEX.rawValue : 0)
            result = strings.withUnsafeMutableBufferPointer { buffer in
                options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                return git_status_list_new(&list, pointer, &options)
            }
            if result >= 0 { break }
        }
        try check(result, "git_status_list_new", .library, "could not read the working tree's status")
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index)?.pointee else { continue }
            let delta = entry.index_to_workdir ?? entry.head_to_index
            if let path = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path { paths.append(String(cString: path)) }
        }
        return paths
    }
}

extension LibGit2Repository {
    /// Before a status, on a working tree whose stat data no longer match the index's (a
    /// tree copied or restored, a container's COPY): the entries under `pathspecs` whose
    /// file holds exactly their blob get the file's stat data, and the index is written
    /// back, as the refresh inside `git_status_list_new` does. That refresh hashes with
    /// libgit2's portable SHA-1 (about 570 MB/s here) on one thread; this one with the
    /// CPU's SHA instructions (`BlobReader.blobId`) on two, so the first status after a
    /// copy costs a fraction. Whatever it cannot prove the same (another size, mode or
    /// content, a file git filters, a conflict, skip-worktree, assume-unchanged, an
    /// index changed meanwhile) is left to the status. A tree where fewer than half of
    /// the first `sample` entries are out of date is taken as fresh and costs those few
    /// stats. Returns the entries refreshed.
    @discardableResult
    func refreshStatCache(under pathspecs: [String], sample: Int = 16) -> Int {
        guard let workdir else { return 0 }
        var index: OpaquePointer?
        guard git_repository_index(&index, pointer) == 0, let index else { return 0 }
        defer { git_index_free(index) }
        var candidates: [StaleEntry] = [], looked = 0
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position)?.pointee else { continue }
            let path = String(cString: entry.path)
            guard StaleEntry.isPlainFile(entry), pathspecs.contains(where: { StaleEntry.path(path, isUnder: $0) }) else {
                continue
            }
            var info = stat()
            guard lstat(workdir + "/" + path, &info) == 0 else { continue }
            looked += 1
            if let stale = StaleEntry(entry, path: path, info: info) { candidates.append(stale) }
            if looked == sample, candidates.count < sample / 2 { return 0 }  // a fresh index: the status has little to hash
        }
        guard !candidates.isEmpty else { return 0 }
        let same = parallelMap(candidates, width: 2) { $0.holdsItsBlob(in: workdir) }
        // The index as it is now: an entry someone changed since is not touched.
        guard git_index_read(index, 0) == 0 else { return 0 }
        var refreshed = 0
        for (stale, holds) in zip(candidates, same) where holds {
            guard let now = git_index_get_bypath(index, stale.path, 0)?.pointee, git_oid_equal([now.id], [stale.id]) == 1,
                  now.mode == stale.mode else { continue }
            var entry = now
            StaleEntry.setStat(&entry, stale.info)
            let added = stale.path.withCString { path in
                entry.path = path
                return git_index_add(index, &entry)
            }
            if added == 0 { refreshed += 1 }
        }
        guard refreshed > 0, git_index_write(index) == 0 else { return 0 }
        return refreshed
    }
}

/// An index entry whose file's stat data differ from the index's while size and mode
/// agree: a file to hash before its stat data may be refreshed.
private struct StaleEntry: Sendable {
    let path: String
    let id: git_oid
    let mode: UInt32
    let info: stat

    /// Nil when the stat data match (nothing to do) or when size, mode or kind differ
    /// (a change only the status may judge).
    init?(_ entry: git_index_entry, path: String, info: stat) {
        guard (info.st_mode & S_IFMT) == S_IFREG, entry.file_size == UInt32(truncatingIfNeeded: info.st_size),
              (entry.mode == 0o100755) == ((info.st_mode & S_IXUSR) != 0) else { return nil }
        var fresh = entry
        Self.setStat(&fresh, info)
        let nanosecondsAgree = entry.mtime.nanoseconds == fresh.mtime.nanoseconds
            && entry.ctime.nanoseconds == fresh.ctime.nanoseconds
        let untimed = entry.mtime.nanoseconds == 0 && entry.ctime.nanoseconds == 0  // an index without them
        if entry.mtime.seconds == fresh.mtime.seconds, entry.ctime.seconds == fresh.ctime.seconds,
           nanosecondsAgree || untimed, entry.ino == fresh.ino, entry.dev == fresh.dev, entry.uid == fresh.uid,
           entry.gid == fresh.gid {
            return nil
        }
        self.path = path
        id = entry.id
        mode = entry.mode
        self.info = info
    }

    /// A blob of stage 0 that git neither skips nor assumes unchanged.
    static func isPlainFile(_ entry: git_index_entry) -> Bool {
        let stage = (Int32(entry.flags) & GIT_INDEX_ENTRY_STAGEMASK) >> GIT_INDEX_ENTRY_STAGESHIFT
        let skipped = UInt32(entry.flags_extended) & (GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue
            | GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue)
        return stage == 0 && skipped == 0 && UInt32(entry.flags) & GIT_INDEX_ENTRY_VALID.rawValue == 0
            && (entry.mode == 0o100644 || entry.mode == 0o100755)
    }

    /// `path` is `spec` or inside it ("." and "" are the whole tree).
    static func path(_ path: String, isUnder spec: String) -> Bool {
        spec.isEmpty || spec == "." || path == spec || path.hasPrefix(spec + "/")
    }

    static func setStat(_ entry: inout git_index_entry, _ info: stat) {
        entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_mtim.tv_sec),
                                     nanoseconds: UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec))
        entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_ctim.tv_sec),
                                     nanoseconds: UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec))
        entry.dev = UInt32(truncatingIfNeeded: info.st_dev)
        entry.ino = UInt32(truncatingIfNeeded: info.st_ino)
        entry.uid = info.st_uid
        entry.gid = info.st_gid
        entry.file_size = UInt32(truncatingIfNeeded: info.st_size)
    }

    /// Whether the file's bytes are the entry's blob: its git blob id, read in pieces
    /// (never through a symbolic link).
    func holdsItsBlob(in workdir: String) -> Bool {
        let fd = open(workdir + "/" + path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var expected = id
        return BlobReader.blobId(reading: fd, count: Int(info.st_size)) == String(cString: git_oid_tostr_s(&expected))
    }
}

// MARK: Helpers

private func signatureValue(_ signature: UnsafePointer<git_signature>) -> Signature {
    let value = signature.pointee
    return Signature(name: value.name.map { String(cString: $0) } ?? "",
                     email: value.email.map { String(cString: $0) } ?? "",
                     time: GitTime(secondsSinceEpoch: Int64(value.when.time), offsetMinutes: Int(value.when.offset)))
}

private func signatureValue(_ signature: UnsafeMutablePointer<git_signature>) -> Signature {
    signatureValue(UnsafePointer(signature))
}

/// libgit2's message for the last failure on this thread (`git_error_last`).
private func lastMessage() -> String? {
    guard let error = git_error_last(), let message = error.pointee.message else { return nil }
    return String(cString: message)
}

private func failure(_ result: Int32, _ function: String, _ code: GitError.Code, _ message: String) -> GitError {
    GitError(code, message, function: function, cause: lastMessage() ?? "error \(result)")
}

/// Turns a negative libgit2 result into a `GitError`.
private func check(_ result: Int32, _ function: String, _ code: GitError.Code, _ message: String) throws(GitError) {
    if result < 0 { throw failure(result, function, code, message) }
}

private func trimSlash(_ path: String) -> String {
    path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
}
