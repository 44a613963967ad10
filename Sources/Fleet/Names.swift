import Bucket
import Foundation
import Manifest

/// "Did you mean": the closest name within a small edit distance. Pure.
public enum Suggestion {
    /// The candidate closest to `word` (case ignored) within `max(1, min(3, count / 3))`
    /// edits, or nil.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates where candidate != word {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance <= max(1, min(3, candidate.count / 3)), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// ` (did you mean 'x'?)`, or "".
    public static func phrase(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Every name a command is given is checked against what exists before anything is
/// written: a typo fails with "did you mean" instead of creating a channel, pinning a
/// silo that does not exist, or showing an empty fleet.
extension OnCall {
    /// Every pipeline the bucket knows: any with a release, a channel or a status report.
    public func pipelines() throws(FleetError) -> [String] {
        var names = Set<String>()
        for root in ["releases/", "channels/", "status/"] {
            do {
                names.formUnion(try bucket.folders(under: bucket.layout.prefix + root))
            } catch {
                throw FleetError(error, doing: "listing the pipelines in s3://\(bucket.name)")
            }
        }
        return names.sorted()
    }

    /// Refuses a pipeline the bucket holds nothing of, naming those it holds.
    public func checkPipeline(_ pipeline: String) throws(FleetError) {
        let known = try pipelines()
        guard !known.contains(pipeline) else { return }
        throw FleetError(.notFound, "no pipeline \(pipeline) in s3://\(bucket.name)"
            + Suggestion.phrase(for: pipeline, among: known) + ": "
            + (known.isEmpty ? "nothing has been published to this bucket (under \(bucket.layout.prefix)) yet"
                : "its pipelines are " + known.joined(separator: ", ")))
    }

    /// Every silo of `pipeline` that has reported or been pinned.
    public func knownSilos(pipeline: String) throws(FleetError) -> [String] {
        var names = Set<String>()
        do {
            for prefix in [try bucket.layout.statusPrefix(pipeline: pipeline), try bucket.layout.pinsPrefix(pipeline: pipeline)] {
                names.formUnion(try bucket.list(prefix: prefix).map(\.key)
                    .filter { $0.hasSuffix(".json") && !$0.dropFirst(prefix.count).contains("/") }
                    .map { String($0.dropFirst(prefix.count).dropLast(5)) })
            }
        } catch let error as BucketError {
            throw FleetError(error, doing: "listing the silos of \(pipeline)")
        } catch let error as ManifestError {
            throw FleetError(.invalidInput, error.message)
        } catch {
            throw FleetError(.storage, "listing the silos of \(pipeline): \(error)")
        }
        return names.sorted()
    }

    /// Refuses a silo that has never reported (nor been pinned) unless `allowNew`
    /// (`--new-silo`: pin a silo before its agent first runs).
    public func checkSilo(_ silo: String, pipeline: String, allowNew: Bool) throws(FleetError) {
        guard !allowNew else { return }
        let known = try knownSilos(pipeline: pipeline)
        guard !known.contains(silo) else { return }
        throw FleetError(.notFound, "silo \(silo) has never reported for \(pipeline)"
            + Suggestion.phrase(for: silo, among: known) + "; "
            + (known.isEmpty ? "no silo has" : "silos that have: " + known.prefix(20).joined(separator: ", "))
            + ". Nothing was written. To pin a silo whose agent has not run yet, add --new-silo")
    }

    /// Refuses a channel that is neither in `declared` (the pipeline definition's
    /// `channels:`, when the command has it) nor already in the bucket, unless `allowNew`
    /// (`--new-channel`). `creating` is the flag that creates a channel, for the message
    /// (nil for commands that only read or move an existing channel).
    public func checkChannel(_ channel: String, pipeline: String, declared: [String]? = nil, allowNew: Bool = false,
                             creating flag: String? = nil) throws(FleetError) {
        guard !allowNew else { return }
        let existing = try channels(pipeline: pipeline)
        let known = Array(Set(existing + (declared ?? []))).sorted()
        guard !known.contains(channel) else { return }
        var where_: [String] = []
        if let declared { where_.append("the pipeline definition declares " + (declared.isEmpty ? "none" : declared.joined(separator: ", "))) }
        where_.append("the bucket has " + (existing.isEmpty ? "no channel of \(pipeline)" : existing.joined(separator: ", ")))
        throw FleetError(.notFound, "channel \(channel) is not a channel of \(pipeline)"
            + Suggestion.phrase(for: channel, among: known) + ": " + where_.joined(separator: "; ")
            + ". Nothing was written" + (flag.map { ". To create a new channel, "
            + (declared == nil ? "" : "add it to channels: in pipelines/\(pipeline).yaml or ") + "pass \($0)" } ?? ""))
    }
}
