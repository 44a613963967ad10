import Basics
import Bucket
import Foundation

/// The artifact cache keeps, per pointer object a release moved, the `SerialMark` of
/// that move (`marks/<sha256 of bucket and key>`: "<highest serial> <version id>"), so
/// the next release from this machine plans its move without listing and reading the
/// pointer's whole version history. A mark is a hint that is checked, never trusted:
/// it is used only while the pointer's latest version is still the one it names; a
/// missing, stale or unreadable mark costs one listing of the history.
extension ArtifactCache {
    /// The mark kept for the pointer `key` of `bucket`, if any.
    func serialMark(bucket: String, key: String) -> SerialMark? {
        guard let text = try? String(contentsOfFile: markPath(bucket: bucket, key: key), encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let serial = Int(parts[0]), serial >= 0 else { return nil }
        let versionId = parts[1].trimmingCharacters(in: .newlines)
        guard !versionId.isEmpty, !versionId.contains("\n") else { return nil }
        return SerialMark(versionId: versionId, highestSerial: serial)
    }

    /// Keeps `mark` for the pointer `key` of `bucket` (nil forgets it). A mark that
    /// cannot be written is not an error: the next move lists the history instead.
    func keepSerialMark(_ mark: SerialMark?, bucket: String, key: String) {
        let path = markPath(bucket: bucket, key: key)
        guard let mark else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        try? writeAtomically(Data("\(mark.highestSerial) \(mark.versionId)\n".utf8), to: path, durable: false)
    }

    private func markPath(bucket: String, key: String) -> String {
        folder + "/marks/" + sha256Hex(Data((bucket + "\n" + key).utf8))
    }
}

/// The artifact cache also keeps, per bucket and pipeline, the artifact keys of the last
/// release from this machine (`marks/<sha256 of "artifacts", bucket and pipeline>`, a key
/// a line). `ferry release` HEADs them while it builds (`ArtifactUploader.prefetch`): an
/// unchanged release has the same keys, and finds them checked when it names them. A
/// hint again: a key is only ever HEADed, never trusted, and a missing or stale list
/// costs nothing but those HEADs.
extension ArtifactCache {
    /// The keys kept for `pipeline` in `bucket` (empty when none, or unreadable).
    func lastArtifacts(bucket: String, pipeline: String) -> [String] {
        let path = artifactsPath(bucket: bucket, pipeline: pipeline)
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
              let text = String(data: data, encoding: .utf8) else { return [] }
        let keys = text.split(separator: "\n").map(String.init)
        guard keys.count <= 1_000, keys.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else { return [] }
        return keys
    }

    /// Keeps `keys` as the last release's artifacts of `pipeline` in `bucket`; a list that
    /// cannot be written is not an error.
    func keepLastArtifacts(_ keys: [String], bucket: String, pipeline: String) {
        let text = keys.sorted().map { $0 + "\n" }.joined()
        try? writeAtomically(Data(text.utf8), to: artifactsPath(bucket: bucket, pipeline: pipeline), durable: false)
    }

    private func artifactsPath(bucket: String, pipeline: String) -> String {
        folder + "/marks/" + sha256Hex(Data(("artifacts\n" + bucket + "\n" + pipeline).utf8))
    }
}
