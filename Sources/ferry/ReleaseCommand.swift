import ArgumentParser
import Basics
import Bucket
import Builder
import Fleet
import Foundation
import Manifest

/// `ferry release`: build, tag `vVERSION`, publish — the whole master leg in one command.
struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Build, tag and publish a release of a pipeline.",
        discussion: """
        Builds PIPELINE from --ref (default HEAD) as ferry build does, then creates the \
        annotated tag vVERSION on that commit (libgit2), then publishes as ferry publish \
        does. The tag is created only after the tests passed and the bundle is built: a \
        failed release leaves no tag and writes nothing to the bucket. A tag vVERSION on \
        another commit is refused before anything runs; on this commit it is reused. If the \
        publish fails after tagging, run the same command again (or ferry publish on --out).

        VERSION is a semantic version, build metadata included (1.2.0+build.7); a leading \
        v is accepted. Who tags comes from git's user.name and user.email.

        Example:
          ferry release dropzone 1.4.2 --channel canary \\
              --key ~/.ferry/ferry.key --bucket my-releases
        """)

    @Argument(help: "The pipeline: pipelines/<PIPELINE>.yaml in the repository.")
    var pipeline: String

    @Argument(help: "The version to release, e.g. 1.4.2 or 1.2.0+build.7.")
    var version: String

    @OptionGroup var source: SourceOptions

    @Option(help: "The channel to move to this release (none: publish without moving a channel).")
    var channel: String?

    @Flag(name: .customLong("new-channel"), help: "Allow a --channel that pipelines/PIPELINE.yaml does not declare and the bucket does not have (creates it).")
    var newChannel = false

    @Option(name: .customLong("release-key"), help: ArgumentHelp(
        "The private key that signs the channel pointer (release role). Default: --key.", valueName: "file"))
    var releaseKey: String?

    @Option(help: "Why the channel moves, kept in the pointer. Default: publish <version>.")
    var reason: String?

    @Option(help: ArgumentHelp("Keep the build folder here. Default: a temporary folder, removed after.", valueName: "dir"))
    var out: String?

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(name: .customLong("dry-run"), help: "Build, then say what would be tagged and written; tag and write nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        do {
            _ = try semver()
            if let channel { try Name.validate(channel, as: "channel") }
        } catch {
            throw ValidationError(error.message)
        }
    }

    func semver() throws(ManifestError) -> SemVer {
        try SemVer(versionOrTag: version)
    }

    func run() throws {
        Interrupts.install(report: Output.note)
        Interrupts.setNote("nothing was tagged or published")
        let temporary = out == nil ? NSTemporaryDirectory() + "/ferry-release-\(UUID().uuidString)" : nil
        if let temporary { Interrupts.removeOnInterrupt(temporary) }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        var request = try source.request(pipeline: pipeline, bucket: bucket, output: out ?? temporary!)
        request.scratchOutput = temporary != nil
        let publishKey = try releaseKey.map(KeyFiles.signingKey) ?? request.key
        let signer = try writer.signer(publishKey, signs: channel != nil)
        // The requests go first, on threads of their own, while the channels are read from
        // the commit and the build runs: the bucket's check, then (once it passed) the
        // channel's pointer and the last release's artifacts. The check alone first: the
        // command waits for it, and requests sent together finish together on a busy server.
        let shared = try bucket.unchecked()
        let progress = Reporter.progress()
        let checking = Pending { [request, channel, dryRun] () throws(BucketError) -> (String?, Releaser.Reads) in
            let warning = try shared.check(.versioning)
            return (warning, Releaser.startReads(request, bucket: shared, channel: channel, trust: signer.trust,
                                                 dryRun: dryRun, progress: progress))
        }
        let channels = Result { () throws(BuildError) -> [String] in try Releaser.declaredChannels(request) }
        let (warning, reads) = try checking.value()
        if let warning { Output.note("warning: " + warning) }
        let declared = try channels.get()
        if let channel {
            try OnCall(bucket: shared).checkChannel(channel, pipeline: pipeline, declared: declared,
                                                    allowNew: newChannel, creating: "--new-channel")
        }
        let result = try Releaser.release(request, version: try semver(), bucket: shared, channel: channel,
                                          writer: signer, reason: reason, dryRun: dryRun, progress: progress, reads: reads)
        if out != nil { try result.build.folder.writeChannels(declared) }
        try PublishCommand.report(result.publish, bucket: shared, tag: result.build.snapshot.tagName, json: json)
    }
}
