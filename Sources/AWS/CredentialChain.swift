import Foundation

/// The AWS CLI's order of credential sources, for `AWSConfig.resolve`.
struct CredentialChain {
    let base: AWSConfig
    let profiles: AWSProfiles
    let environment: [String: String]
    let readFile: @Sendable (String) -> String?

    private func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

    func resolve(profile: String, skipEnvironment: Bool) throws(AWSError) -> any CredentialProvider {
        var tried: [String] = []
        if skipEnvironment {
            tried.append("environment variables (skipped: a profile was named explicitly)")
        } else if let provider = fromEnvironment(&tried) {
            return provider
        }
        if profiles.settings(profile) != nil {
            if let provider = try fromProfile(profile, visited: []) { return provider }
            tried.append("profile '\(profile)' (in \(profiles.credentialsPath) or \(profiles.configPath), but without keys or role_arn)")
        } else {
            tried.append("profile '\(profile)' (in neither \(profiles.credentialsPath) nor \(profiles.configPath))")
        }
        if let provider = try fromContainer() { return provider }
        tried.append("ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set)")
        if env("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" {
            tried.append("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)")
            throw Self.missing(tried)
        }
        return instanceMetadata(tried: tried)
    }

    static func missing(_ tried: [String]) -> AWSError {
        AWSError(code: .missingCredentials,
                 message: "no AWS credentials found. Tried, in order: " + tried.joined(separator: "; ")
                     + ". Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, or run `aws configure`.")
    }

    private func fromEnvironment(_ tried: inout [String]) -> (any CredentialProvider)? {
        switch (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        case let (id?, secret?):
            return StaticCredentialProvider(
                AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN")),
                source: "environment")
        case (_?, nil):
            tried.append("environment variables (AWS_ACCESS_KEY_ID set, AWS_SECRET_ACCESS_KEY missing)")
        case (nil, _?):
            tried.append("environment variables (AWS_SECRET_ACCESS_KEY set, AWS_ACCESS_KEY_ID missing)")
        case (nil, nil):
            tried.append("environment variables (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set)")
        }
        return nil
    }

    /// A profile's own keys, or its role assumed from its source (recursively).
    private func fromProfile(_ name: String, visited: [String]) throws(AWSError) -> (any CredentialProvider)? {
        guard let settings = profiles.settings(name) else {
            throw AWSError(code: .profileNotFound,
                           message: "profile '\(visited.last ?? name)' names source_profile '\(name)', which is in neither "
                               + "\(profiles.configPath) nor \(profiles.credentialsPath)")
        }
        let keys = staticKeys(settings, profile: name)
        guard let roleArn = settings["role_arn"] else {
            if let keys { return keys }
            for unsupported in ["credential_process", "sso_session", "sso_start_url", "web_identity_token_file"]
            where settings[unsupported] != nil {
                throw AWSError(code: .invalidConfiguration,
                               message: "profile '\(name)' uses \(unsupported), which Ferry does not support; "
                                   + "use keys, role_arn with source_profile, or export credentials into the environment")
            }
            return nil
        }
        guard !visited.contains(name) else {
            throw AWSError(code: .invalidConfiguration,
                           message: "profiles \((visited + [name]).joined(separator: " -> ")) form a source_profile loop; fix \(profiles.configPath)")
        }
        let source: any CredentialProvider
        if let sourceProfile = settings["source_profile"] {
            if sourceProfile == name {
                guard let keys else {
                    throw AWSError(code: .invalidConfiguration,
                                   message: "profile '\(name)' is its own source_profile but has no aws_access_key_id / aws_secret_access_key")
                }
                source = keys
            } else {
                guard let provider = try fromProfile(sourceProfile, visited: visited + [name]) else {
                    throw AWSError(code: .missingCredentials,
                                   message: "profile '\(name)' assumes \(roleArn) with source_profile '\(sourceProfile)', which has no credentials; "
                                       + "add aws_access_key_id and aws_secret_access_key to it")
                }
                source = provider
            }
        } else if let credentialSource = settings["credential_source"] {
            source = try fromCredentialSource(credentialSource, profile: name)
        } else {
            throw AWSError(code: .invalidConfiguration,
                           message: "profile '\(name)' has role_arn but neither source_profile nor credential_source; add one")
        }
        var sourceConfig = base
        sourceConfig.credentials = source
        let sessionName = settings["role_session_name"] ?? "ferry-\(Int(Date().timeIntervalSince1970))"
        let assumed = sourceConfig.assumingRole(arn: roleArn, sessionName: sessionName, externalId: settings["external_id"],
                                                duration: settings["duration_seconds"].flatMap { Int($0) })
        return NamedProvider(inner: assumed.credentials, source: "assumed role \(roleArn) via profile \(name)"
                                 + (visited.isEmpty ? "" : " (chained from profile \(visited.first!))"))
    }

    private func staticKeys(_ settings: [String: String], profile: String) -> (any CredentialProvider)? {
        guard let id = settings["aws_access_key_id"], let secret = settings["aws_secret_access_key"] else { return nil }
        return StaticCredentialProvider(
            AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: settings["aws_session_token"]),
            source: "profile \(profile)")
    }

    private func fromCredentialSource(_ kind: String, profile: String) throws(AWSError) -> any CredentialProvider {
        let hint: String
        switch kind {
        case "Environment":
            var ignored: [String] = []
            if let provider = fromEnvironment(&ignored) { return provider }
            hint = (ignored.isEmpty ? "" : ignored.joined(separator: "; ") + "; ")
                + "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys)"
        case "EcsContainer":
            if let provider = try fromContainer() { return provider }
            hint = "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set: "
                + "run in a container with a task role, or choose another credential_source"
        case "Ec2InstanceMetadata":
            return instanceMetadata(tried: [])
        default:
            throw AWSError(code: .invalidConfiguration,
                           message: "profile '\(profile)' has credential_source '\(kind)'; use Environment, EcsContainer or Ec2InstanceMetadata")
        }
        throw AWSError(code: .missingCredentials,
                       message: "profile '\(profile)' takes credentials from \(kind), which has none: \(hint)")
    }

    /// The link-local credentials addresses AWS documents for ECS and EKS Pod Identity.
    static let containerHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    private func fromContainer() throws(AWSError) -> (any CredentialProvider)? {
        let url: String
        if let relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            url = "http://169.254.170.2" + relative
        } else if let full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            url = full
        } else {
            return nil
        }
        let endpoint = try AWSEndpoint(url: url)
        guard Self.containerHosts.contains(endpoint.host) || AWSEndpoint.isLoopback(endpoint.host) else {
            throw AWSError(code: .invalidConfiguration,
                           message: "AWS_CONTAINER_CREDENTIALS_FULL_URI names the host \(endpoint.host), which is neither "
                               + "this machine nor the ECS (169.254.170.2) or EKS (169.254.170.23) credentials "
                               + "address: refused, so that credentials and the authorization token are not fetched from "
                               + "elsewhere; fix the variable")
        }
        let token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        let tokenFile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        let readFile = readFile
        return RefreshingCredentialProvider(source: "ecs container", now: base.now) { () throws(AWSError) -> AWSCredentials in
            let authorization = tokenFile.flatMap { readFile($0)?.trimmingCharacters(in: .whitespacesAndNewlines) } ?? token
            return try ContainerCredentials.fetch(url: url, authorization: authorization, http: base.http)
        }
    }

    private func instanceMetadata(tried: [String]) -> any CredentialProvider {
        let endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254"
        let http = base.http
        return RefreshingCredentialProvider(source: "ec2 instance metadata", now: base.now) { () throws(AWSError) -> AWSCredentials in
            do throws(AWSError) {
                return try InstanceMetadata.fetch(endpoint: endpoint, http: http)
            } catch {
                if tried.isEmpty { throw error }
                throw Self.missing(tried + ["EC2 instance metadata at \(endpoint) (\(error.message))"])
            }
        }
    }
}

/// Another provider's credentials under a clearer name.
struct NamedProvider: CredentialProvider {
    let inner: any CredentialProvider
    let source: String
    func credentials() throws(AWSError) -> AWSCredentials { try inner.credentials() }
}
