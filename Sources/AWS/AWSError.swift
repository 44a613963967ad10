import HTTP

/// A failed AWS call, or a failure to prepare one (credentials, region, config).
/// Carries the service's own error code, message and request id, the HTTP status, and
/// the network failure underneath when there was no answer. Never holds a secret.
public struct AWSError: Error, Sendable, CustomStringConvertible {
    /// An AWS error code (`NoSuchKey`, `ValidationError`, `Throttling`...) or one of
    /// Ferry's own (`MissingCredentials`, `Network`...). Open-ended: compare with the
    /// constants below, or read `rawValue`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Answers from AWS.
        /// 412: an `If-Match` / `If-None-Match` condition failed (a lost compare-and-swap,
        /// or a write-once object that already exists).
        public static let preconditionFailed = Code("PreconditionFailed")
        /// 304 on a path that does not accept it.
        public static let notModified = Code("NotModified")
        public static let noSuchKey = Code("NoSuchKey")
        public static let noSuchBucket = Code("NoSuchBucket")
        public static let noSuchUpload = Code("NoSuchUpload")
        public static let noSuchVersion = Code("NoSuchVersion")
        /// A 404 without a body (HEAD).
        public static let notFound = Code("NotFound")
        public static let accessDenied = Code("AccessDenied")
        public static let signatureDoesNotMatch = Code("SignatureDoesNotMatch")
        public static let invalidAccessKeyId = Code("InvalidAccessKeyId")
        public static let invalidClientTokenId = Code("InvalidClientTokenId")
        public static let expiredToken = Code("ExpiredToken")
        public static let validationError = Code("ValidationError")
        public static let alreadyExists = Code("AlreadyExistsException")
        public static let bucketAlreadyOwnedByYou = Code("BucketAlreadyOwnedByYou")
        public static let internalError = Code("InternalError")

        // Ferry's own.
        /// No credential source produced credentials; the message lists what was tried.
        public static let missingCredentials = Code("MissingCredentials")
        /// No region in the arguments, the environment or the profile.
        public static let missingRegion = Code("MissingRegion")
        /// `--profile` / `AWS_PROFILE` names a profile in neither file.
        public static let profileNotFound = Code("ProfileNotFound")
        /// A config file, endpoint URL or profile setting is malformed or unsupported.
        public static let invalidConfiguration = Code("InvalidConfiguration")
        /// No complete answer arrived (see `cause`).
        public static let network = Code("Network")
        /// An answer arrived but could not be understood.
        public static let invalidResponse = Code("InvalidResponse")
        /// A local file could not be read or written.
        public static let fileIO = Code("FileIO")
    }

    public let code: Code
    /// AWS's message, or what to do next for Ferry's own codes.
    public let message: String
    /// The HTTP status, when the service answered.
    public let status: Int?
    /// `x-amz-request-id` / `x-amzn-RequestId` / `<RequestId>`, for AWS support.
    public let requestId: String?
    /// `Service.Operation`, e.g. `S3.PutObject`.
    public let operation: String?
    /// The network failure when no answer arrived.
    public let cause: HTTPError?
    /// A server's `Retry-After`, if it sent one.
    public let retryAfter: Duration?

    public init(code: Code, message: String, status: Int? = nil, requestId: String? = nil,
                operation: String? = nil, cause: HTTPError? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.requestId = requestId
        self.operation = operation
        self.cause = cause
        self.retryAfter = retryAfter
    }

    /// Codes AWS services use for "slow down".
    public static let throttlingCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
        "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
        "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "LimitExceededException",
        "PriorRequestNotComplete", "EC2ThrottledException", "TransactionInProgressException",
    ]

    /// The service asked to slow down.
    public var isThrottling: Bool { Self.throttlingCodes.contains(code.rawValue) || status == 429 }

    /// Worth another attempt: no answer (network), throttling, or 500/502/503/504.
    public var isRetryable: Bool {
        if let cause { return cause.isTransient }
        if isThrottling { return true }
        if ["RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
            "ServiceUnavailable", "IDPCommunicationError"].contains(code.rawValue) { return true }
        return [500, 502, 503, 504].contains(status ?? 0)
    }

    /// The object, bucket, upload or version does not exist.
    public var isNotFound: Bool {
        [.noSuchKey, .noSuchBucket, .notFound, .noSuchUpload, .noSuchVersion].contains(code) || status == 404
    }

    public var description: String {
        var text = operation.map { "\($0): " } ?? ""
        text += "\(code): \(message)"
        var details: [String] = []
        if let status { details.append("HTTP \(status)") }
        if let requestId { details.append("request id \(requestId)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        if let cause { text += "; cause: \(cause)" }
        return text
    }
}
