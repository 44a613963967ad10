import Agent
import Bucket
import Foundation
import Manifest

extension Simulation {
    /// What one silo holds after a run: its journal's view and its report in the bucket.
    public struct SiloState: Sendable, Equatable {
        public var silo: String
        /// The release the journal last applied, and whether a deployment is in flight.
        public var journalApplied: SemVer?
        public var inFlight: Bool
        /// The silo's status report in the shared bucket.
        public var reportState: StatusReport.State?
        public var reportApplied: SemVer?
        /// Release folders left in the silo's state folder.
        public var releaseFolders: [String]
    }

    /// Every silo's journal and status report (read after `run`; the reads count as
    /// requests of the store).
    public func siloStates() throws -> [SiloState] {
        try silos.map { silo in
            let pipeline = options.pipeline
            let report = try world.bucket.status(pipeline: pipeline, silo: silo.name)
            let folders = (try? FileManager.default.contentsOfDirectory(
                atPath: silo.agent.settings.stateDirectory + "/releases/" + pipeline)) ?? []
            return SiloState(silo: silo.name, journalApplied: try silo.agent.journal.lastApplied(pipeline: pipeline)?.target.version,
                             inFlight: try silo.agent.journal.inFlight(pipeline: pipeline) != nil,
                             reportState: report?.state, reportApplied: report?.applied, releaseFolders: folders.sorted())
        }
    }

    /// The silos whose journal or report is not "in sync at the last release published,
    /// nothing in flight, one release folder", each with what differs.
    public func outOfSync() throws -> [String] {
        let version = world.published.last
        return try siloStates().compactMap { state in
            var wrong: [String] = []
            if state.journalApplied != version { wrong.append("journal applied \(state.journalApplied.map { "\($0)" } ?? "nothing")") }
            if state.inFlight { wrong.append("a deployment in flight") }
            if state.reportState != .inSync || state.reportApplied != version {
                wrong.append("report \(state.reportState?.rawValue ?? "missing") at \(state.reportApplied.map { "\($0)" } ?? "nothing")")
            }
            if state.releaseFolders.count != 1 { wrong.append("release folders \(state.releaseFolders)") }
            return wrong.isEmpty ? nil : "\(state.silo): " + wrong.joined(separator: ", ")
        }
    }

    /// Removes every silo's state folder.
    public func removeFolders() {
        try? FileManager.default.removeItem(atPath: world.root)
    }
}
