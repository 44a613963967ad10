import Foundation

/// An AWS service as Ferry addresses and signs it.
public struct AWSService: Sendable, Hashable, CustomStringConvertible {
    /// The SigV4 signing name and endpoint prefix: `s3`, `cloudformation`...
    public let signingName: String
    /// The suffix of its `AWS_ENDPOINT_URL_<NAME>` variable: `S3`, `CLOUDFORMATION`...
    public let endpointName: String
    /// For a global service (Organizations): the one region it lives and signs in.
    public let globalRegion: String?

    public init(signingName: String, endpointName: String, globalRegion: String? = nil) {
        self.signingName = signingName
        self.endpointName = endpointName
        self.globalRegion = globalRegion
    }

    public var description: String { signingName }

    public static let s3 = AWSService(signingName: "s3", endpointName: "S3")
    public static let cloudFormation = AWSService(signingName: "cloudformation", endpointName: "CLOUDFORMATION")
    public static let sts = AWSService(signingName: "sts", endpointName: "STS")
    public static let organizations = AWSService(signingName: "organizations", endpointName: "ORGANIZATIONS", globalRegion: "us-east-1")
}

/// Where a service answers: scheme, host, port and an optional base path.
public struct AWSEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let basePath: String
    /// Set by `--endpoint-url` or `AWS_ENDPOINT_URL*` (a local emulator, a VPC endpoint),
    /// rather than AWS's own name; S3 then uses path-style addressing.
    public let isCustom: Bool

    /// Parses `scheme://host[:port][/path]`.
    public init(url: String, isCustom: Bool = true) throws(AWSError) {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty,
              parts.query == nil else {
            throw AWSError(code: .invalidConfiguration,
                           message: "the endpoint URL '\(url)' is not of the form http(s)://host[:port][/path]; fix --endpoint-url or AWS_ENDPOINT_URL*")
        }
        self.scheme = scheme
        self.host = host
        let defaultPort = scheme == "https" ? 443 : 80
        port = parts.port == defaultPort ? nil : parts.port
        basePath = parts.percentEncodedPath.hasSuffix("/") ? String(parts.percentEncodedPath.dropLast()) : parts.percentEncodedPath
        self.isCustom = isCustom
    }

    /// The `Host` header value: the host, and the port when it is not the scheme's default.
    public var hostHeader: String { port.map { "\(host):\($0)" } ?? host }

    /// `scheme://host[:port]`.
    public var origin: String { "\(scheme)://\(hostHeader)" }

    public var description: String { origin + basePath }

    /// Whether `host` is this machine: `localhost`, `127.0.0.0/8`, `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The same endpoint under another host name (S3 virtual-hosted buckets).
    func withHost(_ newHost: String) -> AWSEndpoint {
        AWSEndpoint(scheme: scheme, host: newHost, port: port, basePath: basePath, isCustom: isCustom)
    }

    private init(scheme: String, host: String, port: Int?, basePath: String, isCustom: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
        self.isCustom = isCustom
    }
}

/// Endpoint settings as the AWS CLI reads them, most specific first: an explicit
/// `--endpoint-url`, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile's
/// `endpoint_url`, then AWS's own `https://<service>.<region>.amazonaws.com`.
public struct EndpointSettings: Sendable, Equatable {
    public var explicit: String?
    public var perService: [String: String]
    public var global: String?
    public var profile: String?
    /// Plain `http://` to a host other than this machine (`--allow-http`); off: requests
    /// and credentials-signed bodies never cross a network unencrypted by a typo.
    public var allowHTTP: Bool

    public init(explicit: String? = nil, perService: [String: String] = [:], global: String? = nil, profile: String? = nil,
                allowHTTP: Bool = false) {
        self.explicit = explicit
        self.perService = perService
        self.global = global
        self.profile = profile
        self.allowHTTP = allowHTTP
    }

    /// The endpoint of `service` in `region`. A plain-http endpoint is refused unless its
    /// host is loopback or `allowHTTP` is set.
    public func endpoint(for service: AWSService, region: String) throws(AWSError) -> AWSEndpoint {
        if let url = explicit ?? perService[service.endpointName] ?? global ?? profile {
            let endpoint = try AWSEndpoint(url: url)
            guard endpoint.scheme == "https" || allowHTTP || AWSEndpoint.isLoopback(endpoint.host) else {
                throw AWSError(code: .invalidConfiguration,
                               message: "the endpoint \(endpoint) of \(service) is plain http to another machine: "
                                   + "requests would cross the network unencrypted; use https, or pass --allow-http "
                                   + "if this network is trusted")
            }
            return endpoint
        }
        let region = service.globalRegion ?? region
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return try AWSEndpoint(url: "https://\(service.signingName).\(region).\(suffix)", isCustom: false)
    }
}
