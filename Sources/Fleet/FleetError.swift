import AWS
import Bucket

/// Why an on-call command failed, with what to do next in the message and the bucket or
/// AWS error underneath.
public struct FleetError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The channel (or pin) moved between our read and our write: nothing was written.
        case channelMoved
        /// A release, channel, pin or stack set named is not there.
        case notFound
        /// A release's digests differ from what the channel once pointed at.
        case digestMismatch
        /// `ferry promote` found silos of the source channel that are not in sync.
        case promoteRefused
        /// The arguments cannot work (no previous version, bad template, bad parameter).
        case invalidInput
        /// `--wait` gave up before the silos converged.
        case timedOut
        /// A silo reported failed or refused on the new target while we waited.
        case convergenceFailed
        /// A StackSet operation ended FAILED or STOPPED.
        case operationFailed
        /// The version is quarantined by a channel's rollout: pass `--force` with a reason.
        case quarantined
        /// The signing key is one the agents would refuse for the document: nothing written.
        case untrustedSigner
        /// The bucket or an AWS API answered with an error.
        case storage
    }

    public let code: Code
    public let message: String
    /// The bucket or AWS error underneath, if any.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// A bucket error as on-call sees it; `doing` says what was being done.
    init(_ error: BucketError, doing: String) {
        if error.cause?.code == .noSuchBucket && error.code != .noSuchBucket {
            self.init(.notFound, "\(doing): no such bucket: it does not exist (NoSuchBucket); check --bucket or FERRY_BUCKET, "
                + "and the account, region and endpoint the AWS options name", cause: error)
            return
        }
        switch error.code {
        case .notFound: self.init(.notFound, "\(doing): \(error.message)", cause: error)
        case .noSuchBucket: self.init(.notFound, error.message, cause: error)
        case .unversioned: self.init(.invalidInput, error.message, cause: error)
        case .digestMismatch: self.init(.digestMismatch, "\(doing): \(error.message)", cause: error)
        case .channelMoved: self.init(.channelMoved, "\(doing): \(error.message)", cause: error)
        case .untrustedSigner: self.init(.untrustedSigner, "\(doing): \(error.message)", cause: error)
        case .invalidDocument: self.init(.invalidInput, "\(doing): \(error.message)", cause: error)
        case .quarantined: self.init(.quarantined, "\(doing): \(error.message)", cause: error)
        default: self.init(.storage, "\(doing): \(error)", cause: error)
        }
    }

    init(_ error: AWSError, doing: String) {
        self.init(.storage, "\(doing): \(error)", cause: error)
    }

    public var description: String { message }
}
