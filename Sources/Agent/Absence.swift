/// What a listing of the bucket showed, when the agent looked because its channel
/// pointer was not there (`404`).
public enum Listing: Sendable, Equatable {
    /// The names found (pipelines with releases, or a pipeline's channels with a pointer).
    case names([String])
    /// S3 answered `404` to a listing: there is no such bucket (`NoSuchBucket`).
    case noBucket
    /// S3 answered `403` (`AccessDenied`), with S3's message.
    case denied(String)
}

/// Everything `judgeAbsence` looks at: the agent's settings and two listings.
public struct AbsenceFacts: Sendable {
    public var bucket: String
    public var prefix: String
    public var pipeline: String
    public var channel: String
    /// The pipelines with at least one release (`PREFIX/releases/<pipeline>/`).
    public var pipelines: Listing
    /// The channels of `pipeline` that have a pointer (`PREFIX/channels/<pipeline>/`).
    public var channels: Listing
    /// Whether this silo accepted a pointer of this channel before (it then vanished).
    public var followedBefore: Bool

    public init(bucket: String, prefix: String, pipeline: String, channel: String, pipelines: Listing,
                channels: Listing, followedBefore: Bool) {
        self.bucket = bucket
        self.prefix = prefix
        self.pipeline = pipeline
        self.channel = channel
        self.pipelines = pipelines
        self.channels = channels
        self.followedBefore = followedBefore
    }
}

/// What a missing channel pointer means.
public enum AbsenceVerdict: Sendable, Equatable {
    /// Nothing was published to the channel yet: the agent waits, and reports `waiting`
    /// with this note (code `noPointer`).
    case waiting(AgentError)
    /// The settings name nothing that exists, or the agent may not look (codes
    /// `noSuchBucket`, `noSuchPipeline`, `accessDenied`): a person must act. Reported
    /// `misconfigured` (but for a missing bucket, where no report can be written).
    case misconfigured(AgentError)
    /// The pointer this silo followed is gone (deleted): the release that runs keeps running.
    case pointerGone(AgentError)

    /// The note of a `waiting` verdict.
    public var note: AgentError? {
        if case .waiting(let note) = self { return note }
        return nil
    }
}

/// Why the channel pointer of `facts.pipeline`/`facts.channel` is absent, from what
/// listing the bucket showed (issue 13: a mistyped bucket or pipeline, and a channel
/// nobody has published to, all looked like an idle agent). Pure.
///
/// - A listing answered `404`: the bucket does not exist.
/// - A listing answered `403`: the agent may not read the bucket.
/// - No release of the pipeline: `--pipeline` (or `--prefix`) names nothing.
/// - Otherwise, when this silo followed the channel before, its pointer was deleted;
///   when it never did, nobody has published to the channel yet: the agent waits.
public func judgeAbsence(_ facts: AbsenceFacts) -> AbsenceVerdict {
    let place = "s3://\(facts.bucket)/\(facts.prefix)"
    for listing in [facts.pipelines, facts.channels] {
        switch listing {
        case .noBucket:
            return .misconfigured(AgentError(.noSuchBucket, "the bucket \(facts.bucket) does not exist (S3 NoSuchBucket): "
                + "check --bucket (FERRY_BUCKET, `bucket:` in the config file) and the region; the agent tries again "
                + "every tick", next: .needsPerson))
        case .denied(let message):
            return .misconfigured(AgentError(.accessDenied, "listing \(place) was denied (S3 AccessDenied: \(message)): "
                + "let this silo's role read and list the bucket (the bucket policy's OrgAccountsRead and "
                + "OrgAccountsList, the agent's role policy)", next: .needsPerson))
        case .names:
            break
        }
    }
    guard case .names(let pipelines) = facts.pipelines, pipelines.contains(facts.pipeline) else {
        let known = names(facts.pipelines)
        let found = known.isEmpty
            ? "there is no release under \(place) at all: check --bucket and --prefix"
            : "the bucket has releases of " + list(known)
        return .misconfigured(AgentError(.noSuchPipeline, "no release of the pipeline \(facts.pipeline) is in \(place) "
            + "(nothing under releases/\(facts.pipeline)/): check --pipeline (FERRY_PIPELINES, `pipelines:`); "
            + found, next: .needsPerson))
    }
    let channels = names(facts.channels)
    if facts.followedBefore {
        return .pointerGone(AgentError(.noPointer, "the channel pointer of \(facts.pipeline)/\(facts.channel) that "
            + "this silo followed is gone from \(place); the release that runs keeps running: move the channel again "
            + "(ferry promote or rollback), or restore the pointer's last object version", next: .needsPerson))
    }
    let others = channels.filter { $0 != facts.channel }
    let elsewhere = others.isEmpty ? "no channel of \(facts.pipeline) has a release yet"
        : "channels of \(facts.pipeline) with a release: " + list(others)
    return .waiting(AgentError(.noPointer, "nothing has been published to the channel \(facts.channel) of "
        + "\(facts.pipeline) yet (\(elsewhere)); the agent applies the first release promoted or released to "
        + "\(facts.channel): check --channel if that is not the one this silo should follow",
        next: .waitAndRetry(after: 0)))
}

private func names(_ listing: Listing) -> [String] {
    if case .names(let names) = listing { return names.sorted() }
    return []
}

/// `a, b, c` (at most ten, then "and N more").
private func list(_ names: [String]) -> String {
    let shown = names.prefix(10).joined(separator: ", ")
    return names.count > 10 ? shown + " and \(names.count - 10) more" : shown
}
