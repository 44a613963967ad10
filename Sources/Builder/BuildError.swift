import Archive
import Bucket
import Git
import Manifest

/// A build, publish, release or verify failed: what kind of failure, a message that
/// says what to do next, and the underlying cause (a git, zip, bucket or manifest error).
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Bad input: a version that is not semver, a missing option, an unusable folder.
        case invalidInput
        /// The repository, ref or commit cannot be read (libgit2).
        case source
        /// The pipeline definition is missing or wrong.
        case pipeline
        /// A test failed or timed out: nothing was published.
        case testFailed
        /// A test command could not be started.
        case testNotStarted
        /// A template or what it points to could not be packaged.
        case packaging
        /// The bundle, manifest or signature could not be written.
        case bundle
        /// The artifact cache could not be read or written.
        case cache
        /// The bucket refused or failed a read or write.
        case bucket
        /// Someone else moved the channel between our read and write: retry.
        case channelMoved
        /// A release of this version exists with different bytes.
        case releaseExists
        /// The release tag exists on another commit, or could not be created.
        case tag
        /// A bundle or release failed verification (digest, signature, missing file).
        case verification
        /// The signing key is one the agents would refuse for the pointer: nothing was
        /// built, tagged, uploaded or written.
        case untrustedSigner
    }

    public let code: Code
    /// What happened and what to do next.
    public let message: String
    /// The underlying error, as text.
    public let cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
}

extension BuildError {
    /// A libgit2 failure while `doing` something.
    init(_ error: GitError, doing: String) {
        let code: Code = error.code == .tagExists || error.code == .invalidTagName || error.code == .missingIdentity
            ? .tag : .source
        self.init(code, "\(doing): \(error.message)", cause: error.function.map { "\($0)\(error.cause.map { ": " + $0 } ?? "")" })
    }

    /// A bucket failure while `doing` something, keeping the codes a caller acts on.
    init(_ error: BucketError, doing: String) {
        let code: Code = switch error.code {
        case .channelMoved: .channelMoved
        case .releaseExists: .releaseExists
        case .digestMismatch: .verification
        case .untrustedSigner: .untrustedSigner
        default: .bucket
        }
        self.init(code, "\(doing): \(error.message)",
                  cause: error.cause.map { "\($0.code)\($0.status.map { ", HTTP \($0)" } ?? "")" })
    }

    init(_ error: ArchiveError, doing: String) {
        self.init(.bundle, "\(doing): \(error.message)",
                  cause: error.function.map { "\($0)\(error.cause.map { ": " + $0 } ?? "")" } ?? error.cause)
    }

    init(_ error: ManifestError, doing: String) {
        self.init(.bundle, "\(doing): \(error.message)")
    }
}
