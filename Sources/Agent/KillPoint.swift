/// The test hook `FERRY_TEST_KILL_AT=<checkpoint>[#<n>]`: the agent kills itself with
/// SIGKILL right after the n-th time (default 1) it reaches the checkpoint, to show that
/// a crash at that point resumes correctly. Checkpoints: `<step>:<begin|end>` after the
/// journal committed that step-log line (`create-change-set:begin`,
/// `execute-change-set:end`, `deploy:begin`, `stack:end`...), and `downloaded`,
/// `unpacked`. Only tests set it; docs/agent.md lists it as a test hook. Compiled only
/// with `FERRY_TEST_HOOKS` (debug builds, Package.swift): not in a release build.
#if FERRY_TEST_HOOKS
public struct KillPoint: Equatable, Sendable {
    public let checkpoint: String
    public let occurrence: Int
    private var seen = 0

    /// Parses `execute-change-set:begin#2`; nil for an empty or malformed value.
    public init?(_ text: String) {
        let parts = text.split(separator: "#", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else { return nil }
        let occurrence = parts.count == 2 ? Int(parts[1]) : 1
        guard let occurrence, occurrence >= 1 else { return nil }
        checkpoint = name
        self.occurrence = occurrence
    }

    /// Counts `name`; true when the process must die now.
    public mutating func reached(_ name: String) -> Bool {
        guard name == checkpoint else { return false }
        seen += 1
        return seen == occurrence
    }
}
#endif
