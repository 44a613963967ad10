import Foundation
import SQLite

/// Releases refused before anything was applied, and the pipelines the journal knows.
extension Journal {
    /// Marks `target` refused here (its manifest, signature, bundle or unpacked files did
    /// not verify): a `failed` release whose failure code is `refused`, so it is not
    /// downloaded again under the same serial and the report says `refused`. A new
    /// serial (promote, rollback) is a new attempt.
    public func markRefused(pipeline: String, target: Target, error: AgentError) throws(AgentError) {
        let failure = FailureRecord(AgentError(.refused, error.message, next: .needsPerson, resource: error.resource))
        try guarded("recording the refusal of \(target.describe(pipeline: pipeline))") {
            try committing {
                let time = now()
                try database.run("""
                    INSERT INTO releases (pipeline, source, serial, version, manifest_sha256, bundle_sha256, folder,
                        state, started_at, finished_at, failure, finished_seq)
                    VALUES (?, ?, ?, ?, ?, ?, '', 'failed', ?, ?, ?,
                        (SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM releases WHERE pipeline = ?))
                    ON CONFLICT (pipeline, source, serial) DO UPDATE SET state = 'failed',
                        finished_at = excluded.finished_at, failure = excluded.failure,
                        finished_seq = excluded.finished_seq
                    """, [.text(pipeline), .text(target.source.storageName), .integer(Int64(target.serial)),
                          .text(target.version.description), .text(target.manifestSha256), .text(target.bundleSha256),
                          .text(time), .text(time), .text(try Self.encode(failure)), .text(pipeline)])
                try insertStep(pipeline: pipeline, target: target, stack: nil, step: "refuse", phase: .end,
                               detail: error.message)
            }
        }
    }

    /// Every pipeline with a line in the step log, sorted.
    public func pipelines() throws(AgentError) -> [String] {
        try guarded("listing pipelines") {
            try database.query("SELECT DISTINCT pipeline FROM steps ORDER BY pipeline").compactMap { $0["pipeline"].string }
        }
    }

    /// Paths this journal still needs on disk: the template of each stack's last applied
    /// release (what a failed release returns to) and the folder of the deployment in
    /// flight with the templates its stacks ran before.
    public func pathsInUse(pipeline: String) throws(AgentError) -> [String] {
        var paths = try stackRecords(pipeline: pipeline).values.map(\.spec.templatePath)
        if let flying = try inFlight(pipeline: pipeline) {
            paths.append(flying.plan.folder)
            paths += flying.plan.stacks.compactMap { $0.previous?.spec.templatePath }
        }
        return paths
    }
}
