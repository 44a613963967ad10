import Foundation
import Manifest
import SQLite

/// The deployment in flight: begun, saved after every step, finished — each one
/// transaction holding the machine's journal lines and the state they lead to.
extension Journal {
    /// The deployment of `pipeline` that has not finished (after a crash, or suspended).
    public func inFlight(pipeline: String) throws(AgentError) -> DeploymentState? {
        try guarded("reading the deployment in flight") {
            guard let row = try database.query("SELECT rowid AS row_id, state FROM deployments WHERE pipeline = ?",
                                               [.text(pipeline)]).first else { return nil }
            return try JournalRow("deployments", row, path: database.path).json(DeploymentState.self, "state")
        }
    }

    /// Starts a deployment: its release becomes `deploying`, its state is in flight.
    func begin(_ state: DeploymentState, notes: [JournalNote]) throws(AgentError) {
        let plan = state.plan
        try guarded("beginning the deployment of \(plan.target.describe(pipeline: plan.pipeline))") {
            try committing {
                try database.run("""
                    INSERT INTO releases (pipeline, source, serial, version, manifest_sha256, bundle_sha256, folder,
                        state, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'deploying', ?)
                    ON CONFLICT (pipeline, source, serial) DO UPDATE SET version = excluded.version,
                        manifest_sha256 = excluded.manifest_sha256, bundle_sha256 = excluded.bundle_sha256,
                        folder = excluded.folder, state = 'deploying', started_at = excluded.started_at,
                        finished_at = NULL, finished_seq = NULL, failure = NULL, events = '[]'
                    """, [.text(plan.pipeline), .text(plan.target.source.storageName),
                          .integer(Int64(plan.target.serial)), .text(plan.target.version.description),
                          .text(plan.target.manifestSha256), .text(plan.target.bundleSha256), .text(plan.folder),
                          .text(state.startedAt)])
                try write(state, notes: notes)
            }
        }
    }

    /// Saves the state a step led to, with the step's journal lines.
    func save(_ state: DeploymentState, notes: [JournalNote]) throws(AgentError) {
        try guarded("saving a step of \(state.plan.target.describe(pipeline: state.plan.pipeline))") {
            try committing { try write(state, notes: notes) }
        }
    }

    /// Ends a run: a suspended deployment stays in flight; any other outcome closes the
    /// release (`applied`, `failed` or `superseded`) and clears the deployment.
    func finish(_ state: DeploymentState, outcome: DeployOutcome, notes: [JournalNote]) throws(AgentError) {
        let plan = state.plan
        try guarded("finishing the deployment of \(plan.target.describe(pipeline: plan.pipeline))") {
            try committing {
                let releaseState: ReleaseRecord.State
                var failure: FailureRecord?
                switch outcome {
                case .suspended:
                    try write(state, notes: notes)
                    return
                case .applied: releaseState = .applied
                case .failed(let deployFailure): releaseState = .failed; failure = FailureRecord(deployFailure.error)
                case .superseded: releaseState = .superseded
                }
                try apply(notes, plan: plan)
                try database.run("""
                    UPDATE releases SET state = ?, finished_at = ?, failure = ?, events = ?,
                        finished_seq = (SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM releases WHERE pipeline = ?)
                    WHERE pipeline = ? AND source = ? AND serial = ?
                    """, [.text(releaseState.rawValue), .text(now()), try failure.map { .text(try Self.encode($0)) } ?? .null,
                          .text(try Self.encode(state.events)), .text(plan.pipeline), .text(plan.pipeline),
                          .text(plan.target.source.storageName), .integer(Int64(plan.target.serial))])
                try database.run("DELETE FROM deployments WHERE pipeline = ?", [.text(plan.pipeline)])
            }
        }
    }

    private func write(_ state: DeploymentState, notes: [JournalNote]) throws {
        try apply(notes, plan: state.plan)
        try database.run("INSERT OR REPLACE INTO deployments (pipeline, state, updated_at) VALUES (?, ?, ?)",
                         [.text(state.plan.pipeline), .text(try Self.encode(state)), .text(now())])
    }

    private func apply(_ notes: [JournalNote], plan: DeployPlan) throws {
        for note in notes {
            switch note {
            case .step(let stack, let step, let phase, let detail):
                try insertStep(pipeline: plan.pipeline, target: plan.target, stack: stack, step: step, phase: phase,
                               detail: detail)
            case .stackApplied(let record):
                try database.run("""
                    INSERT OR REPLACE INTO stacks (pipeline, stack, digest, record, applied_at) VALUES (?, ?, ?, ?, ?)
                    """, [.text(plan.pipeline), .text(record.spec.name), .text(record.spec.digest),
                          .text(try Self.encode(record)), .text(now())])
            case .stackForgotten(let stack):
                try database.run("DELETE FROM stacks WHERE pipeline = ? AND stack = ?", [.text(plan.pipeline), .text(stack)])
            }
        }
    }
}
