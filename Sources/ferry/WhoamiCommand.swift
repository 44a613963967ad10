import AWS
import ArgumentParser
import Foundation

/// `ferry aws whoami`: who the resolved credentials are (STS GetCallerIdentity) and
/// where they came from, like `aws sts get-caller-identity` plus the source.
struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show the AWS account, ARN and credential source Ferry would use.",
        discussion: """
        Examples:
          ferry aws whoami
          ferry aws whoami --profile release-admin --json
        """)

    @OptionGroup var aws: AWSOptions

    @Flag(help: "Print JSON (Account, Arn, UserId, Source, Region) for scripts.")
    var json = false

    func run() throws {
        let config = try aws.config()
        let identity = try STS(config: config).getCallerIdentity()
        let fields: [(String, String)] = [
            ("Account", identity.account), ("Arn", identity.arn), ("UserId", identity.userId),
            ("Source", config.credentials.source), ("Region", config.region),
        ]
        if json {
            try Output.printJSON(Dictionary(uniqueKeysWithValues: fields))
        } else {
            for (name, value) in fields { print("\(name + ":")\(String(repeating: " ", count: 9 - name.count))\(value)") }
        }
    }
}
