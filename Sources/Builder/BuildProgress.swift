/// What a build, publish or release tells the person watching it, as it happens: each
/// phase with its time, every line a test prints, and upload progress. The command line
/// prints these on stderr; tests and scripts can collect or ignore them.
public struct BuildProgress: Sendable {
    /// A phase finished: its name (`export`, `tests`, `package`, `bundle`, `upload`,
    /// `pointer`), how long it took in seconds, and a short summary.
    public var phase: @Sendable (_ name: String, _ seconds: Double, _ summary: String) -> Void
    /// One line of a test's output (without its newline).
    public var testOutput: @Sendable (_ test: String, _ line: String) -> Void
    /// Upload progress: bytes uploaded so far of the total to upload.
    public var transfer: @Sendable (_ done: Int64, _ total: Int64) -> Void
    /// A note that is not a phase (what a dry run would write, a skipped step).
    public var note: @Sendable (_ text: String) -> Void

    public init(phase: @escaping @Sendable (String, Double, String) -> Void = { _, _, _ in },
                testOutput: @escaping @Sendable (String, String) -> Void = { _, _ in },
                transfer: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in },
                note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.phase = phase
        self.testOutput = testOutput
        self.transfer = transfer
        self.note = note
    }

    /// Reports nothing.
    public static let silent = BuildProgress()
}

/// Measures phases for `BuildProgress.phase`.
struct PhaseClock {
    private var start = ContinuousClock.now

    /// Seconds since the last call (or since this clock was made), and restarts.
    mutating func lap() -> Double {
        let now = ContinuousClock.now
        let elapsed = now - start
        start = now
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
