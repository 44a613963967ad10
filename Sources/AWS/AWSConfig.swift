import Foundation
import HTTP

/// Everything an AWS call needs — region, credentials, endpoints, the HTTP client and
/// the retry policy — resolved in one place, as the AWS CLI resolves it. Service clients
/// (`S3`, `CloudFormation`, `STS`, `Organizations`) are made from one.
public struct AWSConfig: Sendable {
    public var region: String
    public var credentials: any CredentialProvider
    public var endpoints: EndpointSettings
    public var http: HTTPClient
    public var retrier: Retrier
    /// The profile the settings came from (nil: none was named and no file had `default`).
    public var profile: String?
    public var s3: S3Settings
    /// The clock requests are signed with.
    public var now: @Sendable () -> Date

    public init(region: String, credentials: any CredentialProvider, endpoints: EndpointSettings = EndpointSettings(),
                http: HTTPClient = .shared, retrier: Retrier = Retrier(), profile: String? = nil,
                s3: S3Settings = S3Settings(), now: @escaping @Sendable () -> Date = Date.init) {
        self.region = region
        self.credentials = credentials
        self.endpoints = endpoints
        self.http = http
        self.retrier = retrier
        self.profile = profile
        self.s3 = s3
        self.now = now
    }

    /// The endpoint of `service` under these settings.
    public func endpoint(for service: AWSService) throws(AWSError) -> AWSEndpoint {
        try endpoints.endpoint(for: service, region: region)
    }

    /// Resolves region, credentials and endpoints from the arguments, the environment and
    /// the shared files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, default
    /// `~/.aws/config` and `~/.aws/credentials`).
    ///
    /// - Credentials, first found wins: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`
    ///   (+ `AWS_SESSION_TOKEN`), skipped when `profile` is given explicitly; the profile
    ///   (`profile` ?? `AWS_PROFILE` ?? `default`): `role_arn` with `source_profile` or
    ///   `credential_source` (STS AssumeRole, chains allowed, `external_id`,
    ///   `role_session_name`, `duration_seconds`), else its keys; ECS container credentials
    ///   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`, with
    ///   `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`); EC2 instance metadata (IMDSv2)
    ///   unless `AWS_EC2_METADATA_DISABLED=true`.
    /// - Region: `region` ?? `AWS_REGION` ?? `AWS_DEFAULT_REGION` ?? the profile's `region`.
    /// - Endpoints: see `EndpointSettings`; plain http only to loopback unless `allowHTTP`.
    ///
    /// Throws `.profileNotFound` for a named profile in neither file, `.missingRegion`,
    /// `.missingCredentials` (listing every source tried) or `.invalidConfiguration`.
    /// Temporary credentials are fetched on first use, not here.
    public static func resolve(
        profile: String? = nil, region: String? = nil, endpointURL: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: @escaping @Sendable (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) },
        http: HTTPClient = .shared, retrier: Retrier = Retrier(), allowHTTP: Bool = false
    ) throws(AWSError) -> AWSConfig {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = env("HOME") ?? NSHomeDirectory()
        func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst() : path }
        let configPath = expand(env("AWS_CONFIG_FILE") ?? "~/.aws/config")
        let credentialsPath = expand(env("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials")
        let profiles = AWSProfiles(configPath: configPath, config: readFile(configPath),
                                   credentialsPath: credentialsPath, credentials: readFile(credentialsPath))

        let profileName = profile ?? env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE") ?? "default"
        let named = profile != nil || env("AWS_PROFILE") != nil || env("AWS_DEFAULT_PROFILE") != nil
        let settings = profiles.settings(profileName)
        if named, settings == nil {
            throw AWSError(code: .profileNotFound,
                           message: "the profile '\(profileName)' is in neither \(configPath) nor \(credentialsPath); "
                               + "check --profile / AWS_PROFILE, or create it with `aws configure --profile \(profileName)`")
        }
        guard let region = region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? settings?["region"] else {
            throw AWSError(code: .missingRegion,
                           message: "no AWS region: pass --region, set AWS_REGION, or set region in profile '\(profileName)' of \(configPath)")
        }
        var perService: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("AWS_ENDPOINT_URL_") && !value.isEmpty {
            perService[String(name.dropFirst("AWS_ENDPOINT_URL_".count))] = value
        }
        let endpoints = EndpointSettings(explicit: endpointURL, perService: perService, global: env("AWS_ENDPOINT_URL"),
                                         profile: settings?["endpoint_url"], allowHTTP: allowHTTP)
        for service in [AWSService.s3, .cloudFormation, .sts, .organizations] {
            _ = try endpoints.endpoint(for: service, region: region)  // a malformed URL fails here, not mid-deploy
        }
        var s3 = S3Settings()
        if let style = settings?["s3.addressing_style"] {
            s3.addressingStyle = S3Settings.AddressingStyle(rawValue: style) ?? .auto
        }
        // The chain needs the region, endpoints and HTTP client (to assume roles); the
        // placeholder credentials are replaced before the config is returned.
        var config = AWSConfig(region: region, credentials: StaticCredentialProvider(.init(accessKeyId: "", secretAccessKey: ""), source: "none"),
                               endpoints: endpoints, http: http, retrier: retrier,
                               profile: settings == nil ? nil : profileName, s3: s3)
        let chain = CredentialChain(base: config, profiles: profiles, environment: environment, readFile: readFile)
        config.credentials = try chain.resolve(profile: profileName, skipEnvironment: profile != nil)
        return config
    }

    /// A config that acts as `roleArn`: STS AssumeRole with this config's credentials,
    /// cached and refreshed five minutes before expiry. Region, endpoints and HTTP client
    /// stay the same.
    public func assumingRole(arn roleArn: String, sessionName: String = "ferry", externalId: String? = nil,
                             duration: Int? = nil) -> AWSConfig {
        var assumed = self
        let sts = STS(config: self)
        assumed.credentials = RefreshingCredentialProvider(
            source: "assumed role \(roleArn) via \(credentials.source)", now: now
        ) { () throws(AWSError) -> AWSCredentials in
            try sts.assumeRole(roleArn: roleArn, sessionName: sessionName, externalId: externalId,
                               durationSeconds: duration).credentials
        }
        return assumed
    }
}

/// How Ferry talks to S3.
public struct S3Settings: Sendable, Equatable {
    /// `auto`: path-style (`host/bucket/key`) with a custom endpoint or a bucket name
    /// that is not a plain DNS label, virtual-hosted (`bucket.host/key`) on AWS.
    public enum AddressingStyle: String, Sendable { case auto, path, virtual }
    public var addressingStyle: AddressingStyle
    /// Files larger than this upload in parts.
    public var multipartThreshold: Int64
    /// The size of each part (S3's minimum is 5 MiB, but for the last).
    public var partSize: Int64
    /// Parts in flight at once.
    public var multipartConcurrency: Int

    public init(addressingStyle: AddressingStyle = .auto, multipartThreshold: Int64 = 64 << 20,
                partSize: Int64 = 16 << 20, multipartConcurrency: Int = 4) {
        self.addressingStyle = addressingStyle
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.multipartConcurrency = multipartConcurrency
    }
}

extension AWSConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Region, profile, credential source and endpoint overrides; never a secret.
    public var description: String {
        var parts = ["region: \(region)", "credentials: \(credentials.source)"]
        if let profile { parts.append("profile: \(profile)") }
        if let explicit = endpoints.explicit ?? endpoints.global { parts.append("endpoint: \(explicit)") }
        return "AWSConfig(" + parts.joined(separator: ", ") + ")"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
