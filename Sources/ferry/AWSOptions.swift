import AWS
import ArgumentParser

/// The AWS options every command that talks to AWS takes, resolved the way the AWS CLI
/// resolves them (see `AWSConfig.resolve`).
struct AWSOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The AWS profile, from ~/.aws/config and ~/.aws/credentials.",
        discussion: "Default: AWS_PROFILE, else the default profile. A named profile ignores AWS_ACCESS_KEY_ID."))
    var profile: String?

    @Option(help: "The AWS region. Default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region.")
    var region: String?

    @Option(name: .customLong("endpoint-url"), help: ArgumentHelp(
        "Send every AWS call to this URL, e.g. a local emulator (http://localhost:5000).",
        discussion: "Default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's endpoint_url. S3 then uses path-style addressing."))
    var endpointURL: String?

    @Flag(name: .customLong("allow-http"), help: ArgumentHelp(
        "Allow a plain-http endpoint on another machine (http to localhost is always allowed).",
        discussion: "Requests, and the data they carry, would cross the network unencrypted: only on a trusted network."))
    var allowHTTP = false

    func validate() throws {
        if let endpointURL, !(endpointURL.hasPrefix("http://") || endpointURL.hasPrefix("https://")) {
            throw ValidationError("--endpoint-url must start with http:// or https://, e.g. http://localhost:5000")
        }
    }

    /// Region, credentials and endpoints for these options and the process environment.
    func config() throws(AWSError) -> AWSConfig {
        try AWSConfig.resolve(profile: profile, region: region, endpointURL: endpointURL, allowHTTP: allowHTTP)
    }
}
