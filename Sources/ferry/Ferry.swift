import ArgumentParser
import Builder
import Git

/// The `ferry` command: ships CloudFormation releases from a build account to many
/// silo accounts. Each subcommand parses and validates its input, then calls into a
/// library module; nothing else lives here.
@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ship CloudFormation releases from one build account to many silo accounts.",
        discussion: """
        Master leg:  ferry build | publish | release | verify
        Silo leg:    ferry agent run | once | history
        On-call:     ferry status | history | rollback | promote | pin | unpin
        Set-up:      ferry keys | bootstrap | aws whoami
        """,
        subcommands: [BuildCommand.self, PublishCommand.self, ReleaseCommand.self, VerifyCommand.self,
                      AgentCommand.self, StatusCommand.self, HistoryCommand.self, RollbackCommand.self,
                      PromoteCommand.self, PinCommand.self, UnpinCommand.self, RefreshCommand.self, KeysCommand.self,
                      BootstrapCommand.self, AWSCommand.self, RolloutCommand.self]
    )

    /// The root's own `--version` (not `CommandConfiguration.version`, which ArgumentParser
    /// also answers after a subcommand, so `ferry pin --version 1.1.0` printed the version
    /// and exited 0): a subcommand without `--version` now refuses it as unknown.
    @Flag(name: .customLong("version"), help: "Show the version.")
    var showVersion = false

    func run() throws {
        guard showVersion else { throw CleanExit.helpRequest(self) }
        print(FerryVersion.current)
    }

    /// ArgumentParser's `main`, except for errors thrown while a parsed command runs
    /// (`Failure.exit`): a parse or validation error still shows the subcommand's usage.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `build` and `release` open a repository first thing: libgit2's set-up runs
        // while the arguments are parsed.
        if let first = arguments.first, first == "build" || first == "release" { GitLibrary.startInBackground() }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            Failure.exit(error, json: arguments.contains("--json"))
        }
    }
}
