import Foundation
import Synchronization

/// An access key pair, with a session token and expiry for temporary credentials.
/// Printing it (description, debugDescription, dump) shows the key id's last four
/// characters and never the secret or the token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    public let expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// `…ABCD`: enough to tell keys apart, as `aws configure list` shows them.
    public var redactedKeyId: String { "…" + accessKeyId.suffix(4) }

    public var description: String {
        var text = "AWSCredentials(accessKeyId: \(redactedKeyId), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(expiration)" }
        return text + ")"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }

    /// Expired, or expiring within `margin` of `now`.
    public func expires(within margin: TimeInterval, of now: Date) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}

/// Where credentials come from: the environment, a profile, an assumed role, the ECS
/// container endpoint, EC2 instance metadata. One small protocol, one type per source.
public protocol CredentialProvider: Sendable {
    /// Credentials valid now, fetched or refreshed when needed.
    func credentials() throws(AWSError) -> AWSCredentials
    /// Where they come from, for people: `environment`, `profile dev`,
    /// `assumed role arn:… via profile dev`, `ecs container`, `ec2 instance metadata`.
    var source: String { get }
}

/// Fixed credentials (environment variables, a profile's keys, a test's key).
public struct StaticCredentialProvider: CredentialProvider {
    public let fixed: AWSCredentials
    public let source: String

    public init(_ credentials: AWSCredentials, source: String) {
        fixed = credentials
        self.source = source
    }

    public func credentials() throws(AWSError) -> AWSCredentials { fixed }
}

/// Temporary credentials fetched by `fetch` and kept until five minutes (`margin`)
/// before they expire; then fetched again. Safe from several threads: one fetch at a time.
public final class RefreshingCredentialProvider: CredentialProvider {
    public let source: String
    private let fetch: @Sendable () throws(AWSError) -> AWSCredentials
    private let margin: TimeInterval
    private let now: @Sendable () -> Date
    private let cached = Mutex<AWSCredentials?>(nil)

    public init(source: String, margin: TimeInterval = 300, now: @escaping @Sendable () -> Date = Date.init,
                fetch: @escaping @Sendable () throws(AWSError) -> AWSCredentials) {
        self.source = source
        self.fetch = fetch
        self.margin = margin
        self.now = now
    }

    public func credentials() throws(AWSError) -> AWSCredentials {
        let result: Result<AWSCredentials, AWSError> = cached.withLock { cached in
            if let current = cached, !current.expires(within: margin, of: now()) { return .success(current) }
            do throws(AWSError) {
                let fresh = try fetch()
                cached = fresh
                return .success(fresh)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension StaticCredentialProvider: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "StaticCredentialProvider(\(source), \(fixed))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
