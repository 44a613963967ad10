import ArgumentParser
import Bucket
import Builder
import Fleet
import Foundation
import Manifest

/// `ferry publish`: a built bundle folder into the shared bucket, then a channel moved to it.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Upload a built bundle to the shared bucket and move a channel to it.",
        discussion: """
        Writes in this order, so an agent never sees half a release: the artifacts the \
        templates point to (a HEAD each; only missing ones are uploaded), then the release \
        objects bundle.zip, manifest.sig, manifest.json (written once: the same bytes \
        again are a no-op, different bytes under an existing version are refused), then \
        the channel pointer, signed with --key (a key --trust holds as release or oncall; \
        checked before anything is written), by compare-and-swap with the next serial \
        above the pointer's history, expiring after --expires-in days (30). A channel \
        already at this release, signed by this key, does not move. If someone else \
        moves the channel at the same moment, nothing is lost: run the command again.

        Example:
          ferry publish build/ --channel canary \\
              --key ~/.ferry/release.key --trust ~/.ferry/release.pub=release \\
              --bucket my-releases
        """)

    @Argument(help: ArgumentHelp("The folder ferry build wrote.", valueName: "bundle-dir"))
    var folder: String

    @Option(help: "The channel to move to this release (none: publish without moving a channel).")
    var channel: String?

    @Flag(name: .customLong("new-channel"), help: "Allow a --channel the bucket does not have yet (creates it).")
    var newChannel = false

    @Option(help: ArgumentHelp("The private key that signs the channel pointer (release role).", valueName: "file"))
    var key: String

    @Option(help: "Why the channel moves, kept in the pointer. Default: publish <version>.")
    var reason: String?

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(name: .customLong("dry-run"), help: "Read the bucket and say what would be written; write nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if let channel {
            do {
                try Name.validate(channel, as: "channel")
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    func run() throws {
        Interrupts.install(report: Output.note)
        Interrupts.setNote("a publish stopped part-way changes nothing an agent reads (the channel pointer is written "
            + "last): run the same command again to finish it")
        let shared = try bucket.open(.versioning)
        if let channel, let pipeline = Self.pipeline(inFolder: folder) {
            try OnCall(bucket: shared).checkChannel(channel, pipeline: pipeline,
                                                    declared: BuildFolder(folder).declaredChannels(),
                                                    allowNew: newChannel, creating: "--new-channel")
        }
        let request = PublishRequest(folder: BuildFolder(folder), bucket: shared, channel: channel,
                                     writer: try writer.signer(try KeyFiles.signingKey(key), signs: channel != nil), reason: reason,
                                     dryRun: dryRun)
        let result = try Publisher.publish(request, progress: Reporter.progress())
        try PublishCommand.report(result, bucket: request.bucket, tag: nil, json: json)
    }

    /// The pipeline the folder's manifest names; nil when it cannot be read (publish then
    /// says why). The channel is checked against the folder's channels.json (the
    /// definition's `channels:` at the commit built) and the channels the bucket has.
    static func pipeline(inFolder folder: String) -> String? {
        let path = BuildFolder(folder).file(BuildFolder.manifest)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? Manifest.decode(data).pipeline
    }

    /// The final line (or JSON) of publish and release.
    static func report(_ result: PublishResult, bucket: SharedBucket, tag: String?, json: Bool) throws {
        let release = result.release
        let location = "s3://\(bucket.name)/\(result.releaseKey)"
        let channel: String? = switch result.pointer {
        case .moved(_, let pointer)?: "channel \(pointer.scope.name) -> serial \(pointer.serial)"
        case .unchanged(let pointer)?: "channel \(pointer.scope.name) already at serial \(pointer.serial)"
        case nil: result.wouldMoveTo.map { "channel would move to serial \($0)" }
        }
        if json {
            var object: [String: Any] = [
                "pipeline": release.pipeline, "version": release.version.description,
                "bundleSha256": release.bundleSha256, "manifestSha256": release.manifestSha256, "location": location,
                "uploaded": result.uploaded, "alreadyPresent": result.present, "written": result.written,
                "dryRun": result.dryRun,
            ]
            if let pointer = result.pointer?.pointer {
                object["channel"] = pointer.scope.name
                object["serial"] = pointer.serial
            }
            if let tag { object["tag"] = tag }
            try Output.printJSON(object)
        } else {
            let verb = result.dryRun ? "would publish" : "published"
            print("\(verb) \(release.pipeline) \(release.version) (bundle sha256 \(release.bundleSha256)) to \(location)"
                + (channel.map { "; \($0)" } ?? ""))
        }
    }
}
