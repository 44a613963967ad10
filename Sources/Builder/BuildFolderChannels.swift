import Foundation
import Manifest

extension BuildFolder {
    /// `channels.json`: the channels the pipeline definition declared at the commit
    /// built, so `ferry publish` of the folder can refuse a mistyped `--channel` as
    /// `ferry release` does (a folder written before it existed has none).
    public static let channelsFile = "channels.json"

    /// Writes the declared channels (a JSON array of names).
    public func writeChannels(_ channels: [String]) throws(BuildError) {
        let data: Data
        do {
            data = try CanonicalJSON.encode(channels)
        } catch {
            throw BuildError(error, doing: "writing \(file(Self.channelsFile))")
        }
        try Self.writeAtomically(data, to: file(Self.channelsFile))
    }

    /// The declared channels, or nil when the folder has no readable `channels.json`.
    public func declaredChannels() -> [String]? {
        guard let data = try? readFile(Self.channelsFile, cap: 64 * 1024) else { return nil }
        return try? CanonicalJSON.decode([String].self, from: data, cap: 64 * 1024, what: "the channel list")
    }
}

extension Releaser {
    /// `declaredChannels(_:)`, written into the folder the build wrote.
    public static func recordChannels(_ build: BuildRequest, in folder: BuildFolder) throws(BuildError) {
        try folder.writeChannels(try declaredChannels(build))
    }
}
