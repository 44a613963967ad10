import Agent
import ArgumentParser
import Foundation

/// `ferry agent history`: the local journal's step log, oldest first.
struct AgentHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print the agent's local journal: every step it took, oldest first.",
        discussion: """
        Examples:
          ferry agent history --pipeline webapp --limit 20
          ferry agent history --state-dir ~/.ferry-agent --json
        """)

    @Option(help: ArgumentHelp("Only this pipeline. Default: every pipeline in the journal.", valueName: "name"))
    var pipeline: String?

    @Option(help: ArgumentHelp("The last N lines per pipeline.", valueName: "n"))
    var limit: Int = 50

    @Flag(help: "Print JSON lines (one object per step) for scripts.")
    var json = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The agent's state folder. Default: the --config file's, FERRY_STATE_DIR, else the agent's default.", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("The agent's YAML settings (for state-dir). Default: FERRY_CONFIG.", valueName: "file"))
    var config: String?

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = try stateDir ?? AgentOptions.file(config, environment: environment).stateDirectory
            ?? AgentSettings.Layer.environment(environment).stateDirectory
            ?? AgentSettings.stateDirectoryDefault(userID: getuid(), environment: environment)
        guard FileManager.default.fileExists(atPath: directory + "/" + Journal.fileName) else {
            throw ValidationError("no journal in \(directory): give the agent's --state-dir")
        }
        let journal = try Journal(stateDirectory: directory)
        let pipelines = try pipeline.map { [$0] } ?? journal.pipelines()
        var entries: [StepEntry] = []
        for name in pipelines { entries += try journal.history(pipeline: name, limit: limit) }
        entries.sort { $0.id < $1.id }
        if json {
            for entry in entries { print(try line(entry)) }
            return
        }
        if entries.isEmpty {
            Output.note("the journal has no steps\(pipeline.map { " for \($0)" } ?? "")")
            return
        }
        for entry in entries {
            let release = entry.version.map { "\($0)#\(entry.serial ?? 0)" } ?? "-"
            let step = "\(entry.step):\(entry.phase.rawValue)"
            print([entry.time, entry.pipeline, release, entry.stack ?? "-", step, entry.detail].joined(separator: "  "))
        }
    }

    private func line(_ entry: StepEntry) throws -> String {
        var object: [String: Any] = ["id": entry.id, "pipeline": entry.pipeline, "step": entry.step,
                                     "phase": entry.phase.rawValue, "detail": entry.detail, "time": entry.time]
        if let source = entry.source { object["source"] = source }
        if let serial = entry.serial { object["serial"] = serial }
        if let version = entry.version { object["version"] = version }
        if let stack = entry.stack { object["stack"] = stack }
        return try Output.jsonLine(object)
    }
}
