import Basics

/// A git repository, read and tagged through libgit2. Ferry's builder uses it to turn
/// a tag into a commit, export that commit's files, and tag releases.
///
/// Not thread-safe (libgit2 repository handles are not): use one `Repository` per thread.
public final class Repository {
    let handle: LibGit2Repository

    private init(_ handle: LibGit2Repository) { self.handle = handle }

    /// Opens the repository that contains `path`, searching upward like `git` does.
    /// The corresponding C function is `git_repository_open_ext`.
    public static func open(_ path: String) throws(GitError) -> Repository {
        Repository(try LibGit2Repository.open(discoveringFrom: path))
    }

    /// Clones `url` (a local path or `file://` URL; libgit2's other transports too) into
    /// `path`, which must not exist or be empty. The corresponding C function is `git_clone`.
    public static func clone(url: String, to path: String, bare: Bool = false) throws(GitError) -> Repository {
        Repository(try LibGit2Repository.clone(url: url, to: path, bare: bare))
    }

    /// The working tree's folder, without a trailing slash; nil for a bare repository
    /// (`git_repository_workdir`).
    public var workdir: String? { handle.workdir }

    /// The `.git` folder, or the bare repository's folder (`git_repository_path`).
    public var path: String { handle.gitDirectory }

    /// Paths under `pathspecs` (folders or files, relative to the working tree) with
    /// uncommitted changes: staged, unstaged or untracked. Empty for a bare repository.
    /// The corresponding C function is `git_status_list_new`.
    public func uncommittedPaths(under pathspecs: [String]) throws(GitError) -> [String] {
        try handle.changedPaths(under: pathspecs)
    }

    /// The commit a name stands for: a tag (annotated or lightweight, with or without
    /// `refs/tags/`), a branch, a full or abbreviated commit id, or `HEAD`.
    /// The corresponding C functions are `git_revparse_single` and `git_object_peel`.
    public func resolve(_ ref: String) throws(GitError) -> Commit {
        guard !ref.isEmpty else {
            throw GitError(.refNotFound, "an empty name names no commit: give a tag, branch or commit id")
        }
        return try handle.resolveCommit(ref)
    }

    /// The tags that peel to `commit`, sorted by name (`git_tag_list`, `git_reference_lookup`).
    /// Tags that point at something other than a commit are ignored.
    public func tags(pointingAt commit: Commit) throws(GitError) -> [TagInfo] {
        var found: [TagInfo] = []
        for name in try handle.tagNames().sorted(by: { $0.utf8Precedes($1) }) {
            do {
                if let tag = try handle.tag(named: name), tag.targetCommit == commit.id { found.append(tag) }
            } catch where error.code == .notACommit {
                continue
            }
        }
        return found
    }

    /// The tag named `name` (with or without `refs/tags/`), or nil if there is none.
    /// The corresponding C function is `git_reference_lookup`.
    public func tag(named name: String) throws(GitError) -> TagInfo? {
        try handle.tag(named: Self.shortTagName(name))
    }

    /// Creates the annotated tag `name` on `commit`, as `git tag -a` does.
    ///
    /// If the tag already exists on the same commit nothing is written and the existing
    /// tag is returned; on another commit this throws `.tagExists`. `message` gets a
    /// trailing newline if it has none (libgit2 stores it verbatim). Without a `tagger`,
    /// `user.name` / `user.email` of the repository's configuration are used, at the
    /// current time (`git_signature_default`); `.missingIdentity` if they are not set.
    /// The corresponding C function is `git_tag_create`.
    @discardableResult
    public func createAnnotatedTag(name: String, commit: Commit, message: String,
                                   tagger: Signature? = nil) throws(GitError) -> TagInfo {
        let name = Self.shortTagName(name)
        guard handle.isValidTagName(name) else {
            throw GitError(.invalidTagName, "'\(name)' is not a valid git tag name (no spaces, '..', '~', '^', ':' or trailing '.lock')",
                           function: "git_tag_name_is_valid")
        }
        guard let commitID = ObjectID(hex: commit.id) else {
            throw GitError(.refNotFound, "'\(commit.id)' is not a commit id")
        }
        if let existing = try existingTag(name, on: commit) { return existing }
        let signature = if let tagger { tagger } else { try handle.defaultSignature() }
        let body = message.hasSuffix("\n") ? message : message + "\n"
        do {
            try handle.createAnnotatedTag(name: name, commit: commitID, message: body, tagger: signature)
        } catch where error.code == .tagExists {
            // Created by someone else between our look-up and our write.
            if let existing = try existingTag(name, on: commit) { return existing }
            throw error
        }
        guard let created = try handle.tag(named: name) else {
            throw GitError(.library, "tag \(name) was created but cannot be read back")
        }
        return created
    }

    /// The existing tag `name` if it is on `commit`; nil if there is none; `.tagExists` if
    /// it is on another commit.
    private func existingTag(_ name: String, on commit: Commit) throws(GitError) -> TagInfo? {
        guard let existing = try handle.tag(named: name) else { return nil }
        guard existing.targetCommit == commit.id else {
            throw GitError(.tagExists,
                           "tag \(name) already exists on commit \(existing.targetCommit), not on \(commit.id): "
                               + "a released version is never moved; choose a new version")
        }
        return existing
    }

    /// The git tree id of the folder `path` (relative to the repository root; "" or "."
    /// for the root) at `commit`, or nil if that path is absent or not a folder. A tree
    /// id names a folder's exact content, so it serves as a cache key.
    /// The corresponding C function is `git_tree_entry_bypath`.
    public func treeId(commit: Commit, path: String) throws(GitError) -> String? {
        try handle.treeID(commit: try Self.objectID(commit), path: Self.normalisedPath(path))?.hex
    }

    static func objectID(_ commit: Commit) throws(GitError) -> ObjectID {
        guard let id = ObjectID(hex: commit.id) else { throw GitError(.refNotFound, "'\(commit.id)' is not a commit id") }
        return id
    }

    /// `refs/tags/v1` and `v1` name the same tag.
    static func shortTagName(_ name: String) -> String {
        name.hasPrefix("refs/tags/") ? String(name.dropFirst("refs/tags/".count)) : name
    }

    /// `./a//b/` → `a/b`; `.` and `` → `` (the root).
    static func normalisedPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
    }
}
