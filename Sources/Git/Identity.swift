extension Repository {
    /// Who git would record as the author of a tag made now: `user.name` and
    /// `user.email` of the repository's configuration, at the current time. Throws
    /// `.missingIdentity` when they are not set. The corresponding C function is
    /// `git_signature_default`.
    public func defaultSignature() throws(GitError) -> Signature {
        try handle.defaultSignature()
    }
}
