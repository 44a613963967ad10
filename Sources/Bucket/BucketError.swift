import AWS
import Manifest

/// Why an operation on the shared bucket failed, sorted by what to do next.
public struct BucketError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The object is not there (a release, a channel, a manifest).
        case notFound
        /// A release object with this key exists with different bytes: releases are
        /// written once; publish a new version.
        case releaseExists
        /// Someone moved the channel (or pin) between our read and our write; nothing was
        /// lost: read again and retry.
        case channelMoved
        /// An object is larger than Ferry reads for its kind.
        case tooLarge
        /// Downloaded bytes do not have the digest they must have.
        case digestMismatch
        /// A document in the bucket cannot be read as what it should be.
        case invalidDocument
        /// The signing key is one the agents would refuse for this document (unknown, or
        /// not in a role the document needs): nothing was written.
        case untrustedSigner
        /// The bucket does not exist (a wrong `--bucket`, account, region or endpoint).
        case noSuchBucket
        /// The bucket keeps no object versions: history, rollback and the audit trail need them.
        case unversioned
        /// S3 answered with an error (network, access, throttling after retries).
        case storage
        /// The channel's rollout quarantines the version: pass `force` with a reason to
        /// point at it all the same. Nothing was written.
        case quarantined
    }

    public let code: Code
    public let message: String
    /// The S3 error underneath, if any.
    public let cause: AWSError?

    public init(_ code: Code, _ message: String, cause: AWSError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    init(_ error: AWSError, doing what: String) {
        if error.isNotFound {
            self.init(.notFound, "\(what): not found in the bucket", cause: error)
        } else {
            self.init(.storage, "\(what): \(error.message)", cause: error)
        }
    }

    init(_ error: ManifestError, reading what: String) {
        self.init(.invalidDocument, "\(what): \(error.message)")
    }

    /// Worth trying again later without a person acting (network, throttling, 5xx).
    public var isTransient: Bool { code == .storage && (cause?.isRetryable ?? false) }

    public var description: String {
        guard let cause, code == .storage else { return message }
        return "\(message) (\(cause.code)\(cause.status.map { ", HTTP \($0)" } ?? ""))"
    }
}
