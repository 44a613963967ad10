/// A failure in the Git module: what went wrong, what to do about it, and the
/// libgit2 call and message underneath when there is one.
public struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; callers switch on it.
    public enum Code: String, Sendable, Hashable {
        /// No repository at or above the path.
        case repositoryNotFound
        /// `clone` could not copy the repository.
        case cloneFailed
        /// No tag, branch or commit by that name.
        case refNotFound
        /// An abbreviated commit id matches more than one object.
        case ambiguousRef
        /// The name resolves to something that is not a commit (a tree or blob).
        case notACommit
        /// A tag of that name already exists on another commit.
        case tagExists
        /// Not a valid git tag name.
        case invalidTagName
        /// No `user.name` / `user.email` in the repository's configuration.
        case missingIdentity
        /// The exported tree holds a submodule (gitlink), which Ferry does not follow.
        case submodule
        /// The exported tree holds a symbolic link, which Ferry does not export.
        case symlink
        /// The path does not exist in that commit, or is not a folder.
        case pathNotFound
        /// The export destination already exists.
        case destinationExists
        /// Writing the exported files failed.
        case io
        /// Any other libgit2 failure (corrupt repository, out of memory, ...).
        case library
    }

    public let code: Code
    /// What happened and what to do next, for a person.
    public let message: String
    /// The libgit2 function that failed, e.g. `git_revparse_single`.
    public let function: String?
    /// libgit2's own message (`git_error_last`) or the `strerror` text.
    public let cause: String?

    public init(_ code: Code, _ message: String, function: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.function = function
        self.cause = cause
    }

    public var description: String {
        switch (function, cause) {
        case let (function?, cause?): "\(message) (\(function): \(cause))"
        case let (function?, nil): "\(message) (\(function))"
        case let (nil, cause?): "\(message) (\(cause))"
        case (nil, nil): message
        }
    }
}
