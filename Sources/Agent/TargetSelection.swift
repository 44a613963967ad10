import Foundation
import Manifest

/// What one poll of a pointer or pin found. The caller fetched it (conditional GET) and
/// opened it (`openPointer`, which check signature, issuer and expiry); a
/// network failure is not an observation: the caller retries the poll instead.
public enum Observation<Document: Sendable>: Sendable {
    /// `304 Not Modified`: the document is the one last accepted.
    case notModified
    /// `404`: there is no such document (for a pin: it was removed).
    case absent
    /// A document whose signature verified, with the SHA-256 of its bytes and its ETag.
    case fetched(Document, sha256: String, etag: String?)
    /// The document failed verification (bad signature, unknown key, expired, bad schema).
    case refused(ManifestError)
}

/// Everything target selection looks at, all from the journal and this poll.
public struct SelectionInput: Sendable {
    public var pipeline: String
    public var channel: String
    public var silo: String
    /// The last accepted channel pointer and pin (a removed pin keeps its serial).
    public var lastPointer: AcceptedDocument?
    public var lastPin: AcceptedDocument?
    public var pointer: Observation<Pointer>
    public var pin: Observation<Pointer>
    public var now: Date
    /// Targets that failed in this silo: never retried under the same serial.
    public var failed: Set<TargetKey>
    /// The target last applied successfully.
    public var applied: Target?
    /// What a rollout's wave selectors look at; nil: the silo's name alone.
    public var facts: SiloFacts?

    public init(pipeline: String, channel: String, silo: String, lastPointer: AcceptedDocument?,
                lastPin: AcceptedDocument?, pointer: Observation<Pointer>, pin: Observation<Pointer>, now: Date,
                failed: Set<TargetKey>, applied: Target?, facts: SiloFacts? = nil) {
        self.pipeline = pipeline
        self.channel = channel
        self.silo = silo
        self.lastPointer = lastPointer
        self.lastPin = lastPin
        self.pointer = pointer
        self.pin = pin
        self.now = now
        self.failed = failed
        self.applied = applied
        self.facts = facts
    }
}

/// The outcome of target selection.
public struct Selection: Equatable, Sendable {
    public enum Verdict: Equatable, Sendable {
        /// Apply this target (or resume its deployment in flight).
        case deploy(Target)
        /// The target is the one applied: nothing to do.
        case unchanged(Target)
        /// This target already failed here under this serial: not retried. A new serial
        /// (a re-publish or a rollback) is a new attempt.
        case alreadyFailed(Target)
        /// No usable document: none accepted yet, or the one in force expired.
        case nothing
    }

    public var verdict: Verdict
    /// Documents refused on this poll (report them; keep running what runs).
    public var refusals: [AgentError]
    /// Documents to record in the journal: newly accepted, a refreshed ETag, a removed pin.
    public var record: [AcceptedDocument]
    /// Whether a pin chose the target.
    public var pinned: Bool
    /// The channel's release waits for this silo's wave (`waitingForWave`): the silo keeps
    /// what it runs and reports `waiting`.
    public var waiting: AgentError?

    public init(verdict: Verdict, refusals: [AgentError], record: [AcceptedDocument], pinned: Bool,
                waiting: AgentError? = nil) {
        self.verdict = verdict
        self.refusals = refusals
        self.record = record
        self.pinned = pinned
        self.waiting = waiting
    }
}

/// Chooses the release to run from the signed documents (DESIGN.md, "The agent, as a
/// state machine", steps 1–3). Pure: no I/O, time is a parameter.
///
/// - A pin (accepted, not ended, not expired) wins over the channel until a signed
///   ended pin (`ferry unpin`) replaces it; a pin object that disappears is reported and
///   stays in force; an expired pin falls back to the channel.
/// - A serial below the last accepted one is a replay; the same serial with the same
///   bytes is unchanged, with other bytes refused.
/// - An expired pointer is refused and reported; the release that runs keeps running.
/// - A target that failed here under its serial is not retried.
/// - The version may go down: that is how a rollback is said.
/// - A channel pointer with a rollout applies only in a silo whose wave is open; the
///   others keep what they run and wait. A pin is on-call's own choice: no wave holds it.
/// - A version the channel's rollout quarantines is never applied, by pointer or pin.
public func selectTarget(_ input: SelectionInput) -> Selection {
    var refusals: [AgentError] = []
    var record: [AcceptedDocument] = []
    let acceptedAt = Timestamp.format(input.now)
    // Serials count per channel and per silo: a record of another one (the agent was
    // reconfigured) says nothing about these.
    let lastPointer = input.lastPointer?.name == input.channel ? input.lastPointer : nil
    let lastPin = input.lastPin?.name == input.silo ? input.lastPin : nil

    // The pin first: it wins when it is in force.
    var pin = lastPin
    switch input.pin {
    case .notModified:
        break
    case .absent:
        // A pin ends only with a signed ended pin (`ferry unpin`): a pin in force whose
        // object is gone was deleted by someone with write access but no key. It stays in
        // force, and the silo reports it.
        if let inForce = pin, !inForce.removed {
            refusals.append(AgentError(
                .pinMissing, "the pin of \(input.pipeline)/\(input.silo) (serial \(inForce.serial), \(inForce.version)) "
                    + "is gone from the bucket without a signed unpin; the silo stays pinned: end a pin with "
                    + "`ferry unpin`, or pin again", next: .needsPerson))
        }
    case .refused(let error):
        refusals.append(refusal(error, what: "the pin of \(input.pipeline)/\(input.silo)"))
    case .fetched(let document, let sha256, let etag):
        // An ended pin (no release) is recorded as a removed pin: its serial counts, it
        // names nothing, and the silo follows its channel.
        let named = document.release ?? PointedRelease(version: lastPin?.version ?? SemVer(major: 0, minor: 0, patch: 0),
                                                       manifestSha256: lastPin?.manifestSha256 ?? "",
                                                       bundleSha256: lastPin?.bundleSha256 ?? "")
        let candidate = AcceptedDocument(
            kind: .pin, name: document.scope.name, serial: document.serial, sha256: sha256, etag: etag,
            version: named.version, manifestSha256: named.manifestSha256,
            bundleSha256: named.bundleSha256, expiresAt: document.expiresAt, removed: document.isEnded,
            acceptedAt: acceptedAt)
        let identity = document.pipeline == input.pipeline && document.scope == .silo(input.silo)
        switch judge(candidate, last: lastPin, identity: identity, now: input.now,
                     what: "the pin of \(input.pipeline)/\(input.silo)") {
        case .accept(let accepted): record.append(accepted); pin = accepted
        case .same(let refreshed): if refreshed != lastPin { record.append(refreshed) }; pin = refreshed
        case .refuse(let error): refusals.append(error)
        }
    }

    var pointer = lastPointer
    switch input.pointer {
    case .notModified, .absent:
        break  // a deleted pointer changes nothing: the release that runs keeps running
    case .refused(let error):
        refusals.append(refusal(error, what: "the channel pointer of \(input.pipeline)/\(input.channel)"))
    case .fetched(let document, let sha256, let etag):
        guard let named = document.release else {
            refusals.append(AgentError(.wrongDocument, "the channel pointer of \(input.pipeline)/\(input.channel) "
                + "names no release; refused", next: .needsPerson))
            break
        }
        let candidate = AcceptedDocument(
            kind: .channel, name: document.scope.name, serial: document.serial, sha256: sha256, etag: etag,
            version: named.version, manifestSha256: named.manifestSha256,
            bundleSha256: named.bundleSha256, expiresAt: document.expiresAt, acceptedAt: acceptedAt,
            rollout: document.rollout)
        let identity = document.pipeline == input.pipeline && document.scope == .channel(input.channel)
        switch judge(candidate, last: lastPointer, identity: identity, now: input.now,
                     what: "the channel pointer of \(input.pipeline)/\(input.channel)") {
        case .accept(let accepted): record.append(accepted); pointer = accepted
        case .same(let refreshed): if refreshed != lastPointer { record.append(refreshed) }; pointer = refreshed
        case .refuse(let error): refusals.append(error)
        }
    }

    let effective: AcceptedDocument
    if let pin, !pin.removed, !pin.isExpired(at: input.now) {
        effective = pin
    } else if let pointer {
        guard !pointer.isExpired(at: input.now) else {
            let already = refusals.contains { $0.code == .expired }
            if !already {
                refusals.append(AgentError(
                    .expired, "the channel pointer of \(input.pipeline)/\(input.channel) (serial \(pointer.serial)) "
                        + "expired at \(pointer.expiresAt ?? "?"); the agent keeps running what runs: issue a new "
                        + "pointer (ferry promote or rollback)", next: .needsPerson))
            }
            return Selection(verdict: .nothing, refusals: refusals, record: record, pinned: false)
        }
        effective = pointer
    } else {
        return Selection(verdict: .nothing, refusals: refusals, record: record, pinned: false)
    }

    let target = effective.target
    let pinned = effective.kind == .pin
    let keep: Selection.Verdict = input.applied.map { .unchanged($0) } ?? .nothing
    if let rollout = pointer?.rollout, rollout.isQuarantined(target.version) {
        // A silo already running the version (applied before it was quarantined) keeps it
        // until the channel moves on; it never applies it again.
        guard input.applied?.version != target.version else {
            return Selection(verdict: keep, refusals: refusals, record: record, pinned: pinned)
        }
        refusals.append(AgentError(
            .quarantined, "\(target.describe(pipeline: input.pipeline)) is quarantined by the rollout of channel "
                + "\(input.channel); the silo keeps running what runs: move the channel or pin to another release",
            next: .needsPerson))
        return Selection(verdict: keep, refusals: refusals, record: record, pinned: pinned)
    }
    if !pinned, let rollout = effective.rollout {
        let facts = input.facts ?? SiloFacts(name: input.silo)
        let wave = rollout.waveIndex(of: facts)
        if wave >= rollout.open {
            let note = AgentError(
                .waitingForWave, "\(target.describe(pipeline: input.pipeline)) waits for wave \(wave + 1) of "
                    + "\(rollout.waves.count) ('\(rollout.waves[wave].name)'); \(rollout.open) open"
                    + (rollout.halted ? ", the rollout is halted" : ""), next: .waitAndRetry(after: 0))
            return Selection(verdict: keep, refusals: refusals, record: record, pinned: false, waiting: note)
        }
    }
    let verdict: Selection.Verdict
    if input.failed.contains(target.key) {
        verdict = .alreadyFailed(target)
    } else if let applied = input.applied, applied.key == target.key, applied.version == target.version {
        verdict = .unchanged(target)
    } else {
        verdict = .deploy(target)
    }
    return Selection(verdict: verdict, refusals: refusals, record: record, pinned: pinned)
}

private enum Judgement {
    case accept(AcceptedDocument)
    case same(AcceptedDocument)
    case refuse(AgentError)
}

/// Serial and identity rules for a verified document against the last one accepted.
private func judge(_ candidate: AcceptedDocument, last: AcceptedDocument?, identity: Bool, now: Date,
                   what: String) -> Judgement {
    guard identity else {
        return .refuse(AgentError(.wrongDocument, "\(what) names another pipeline, channel or silo; it was copied "
            + "from elsewhere and is refused", next: .needsPerson))
    }
    if let last {
        let repeated = candidate.serial == last.serial && candidate.sha256 == last.sha256 && candidate.removed == last.removed
        if candidate.serial < last.serial || (candidate.serial == last.serial && last.removed && !repeated) {
            return .refuse(AgentError(.replay, "\(what) has serial \(candidate.serial), not above the last accepted "
                + "serial \(last.serial): refused as a replay; a new move must carry a higher serial",
                next: .needsPerson))
        }
        if candidate.serial == last.serial {
            guard candidate.sha256 == last.sha256 else {
                return .refuse(AgentError(.serialReused, "\(what) repeats serial \(candidate.serial) with other "
                    + "content than the one accepted: refused; a new move must carry a higher serial",
                    next: .needsPerson))
            }
            var refreshed = last
            refreshed.etag = candidate.etag ?? last.etag
            return .same(refreshed)
        }
    }
    if candidate.isExpired(at: now) {
        return .refuse(AgentError(.expired, "\(what) (serial \(candidate.serial)) expired at "
            + "\(candidate.expiresAt ?? "?"); the agent keeps running what runs: issue a new one",
            next: .needsPerson))
    }
    return .accept(candidate)
}

private func refusal(_ error: ManifestError, what: String) -> AgentError {
    let code: AgentError.Code = error.code == .expired ? .expired : .refused
    return AgentError(code, "\(what) was refused: \(error.message)", next: .needsPerson, cause: error)
}
