import ArgumentParser

/// `ferry aws`: checks of the AWS set-up.
struct AWSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Check the AWS credentials, region and endpoints Ferry will use.",
        discussion: "Example: ferry aws whoami --profile release-admin",
        subcommands: [WhoamiCommand.self])
}
