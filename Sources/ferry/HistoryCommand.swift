import ArgumentParser
import Fleet
import Foundation

/// `ferry history PIPELINE [--channel C]`: the releases, and every move of each channel
/// pointer from the bucket's object versions (the audit trail), and of the pins.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the releases of a pipeline and every move of its channels and pins.",
        discussion: """
        Releases come from each release's manifest.json. Moves come from the versions of the \
        pointer objects in the bucket: serial, version, the key that signed (first 12 hex digits \
        of its id), time and reason. Pins are shown when no --channel is given. A release whose \
        manifest.json is missing (a publish was interrupted) is shown as half-published. The \
        pipeline (and --channel) must exist in the bucket; the bucket must be versioned.

        Examples:
          ferry history webapp
          ferry history webapp --channel stable --json | jq '.channels[0].moves[0]'
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("Only this channel's moves (and no pins).", valueName: "channel"))
    var channel: String?

    @OptionGroup var bucket: BucketOptions
    @OptionGroup var keyNames: KeyNameOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        if let channel { try onCall.checkChannel(channel, pipeline: pipeline) }
        let history = try onCall.history(pipeline: pipeline, channel: channel)
        if let channel, history.channels.first?.moves.isEmpty ?? true {
            Output.note("channel \(channel) of \(pipeline) has never moved")
        }
        if json {
            try FleetOutput.json(history)
        } else {
            print(HistoryView.render(history, color: FleetOutput.color, names: try keyNames.names()), terminator: "")
        }
    }
}
