import AWS
import ArgumentParser
import Basics
import Builder
import Foundation
import Manifest

/// `ferry build`: a commit of the repository up to a local, signed bundle folder.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a pipeline's bundle from a commit: tests, packaging, signed bundle.",
        discussion: """
        Reads pipelines/PIPELINE.yaml FROM THE COMMIT being built (never the working tree), \
        exports that commit's source folder, runs the pipeline's tests there, packages each \
        stack's template (code folders become deterministic zips, stored content-addressed in \
        the local artifact cache), and writes to --out:

          bundle.zip, manifest.json, manifest.sig, artifacts.json, channels.json

        Nothing is uploaded: ferry publish does that. The version comes from the commit's \
        tag (v1.4.2 -> 1.4.2); an untagged commit builds as 0.0.0-g<commit12>. The same \
        commit and key always give the same bundle bytes: a tree that already passed its \
        tests is not tested again, its recorded runs and log are reused (--retest runs \
        them). The bucket is needed because the packaged templates name it.

        Example:
          ferry build dropzone --ref v1.4.2 --out build/ \\
              --key ~/.ferry/builder.key --bucket my-releases
        """)

    @Argument(help: "The pipeline: pipelines/<PIPELINE>.yaml in the repository.")
    var pipeline: String

    @OptionGroup var source: SourceOptions

    @Option(help: ArgumentHelp("The folder to write the bundle into (created).", valueName: "dir"))
    var out: String?

    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func run() throws {
        Interrupts.install(report: Output.note)
        let request = try source.request(pipeline: pipeline, bucket: bucket,
                                         output: out ?? "ferry-build/\(pipeline)")
        let result = try ReleaseBuilder.build(request, progress: Reporter.progress())
        try Releaser.recordChannels(request, in: result.folder)
        let manifest = result.bundle.manifest
        if json {
            try Output.printJSON([
                "pipeline": manifest.pipeline, "version": manifest.version.description,
                "commit": manifest.source.commit, "tag": manifest.source.tag ?? "",
                "bundleSha256": result.bundle.bundleSha256, "manifestSha256": sha256Hex(result.bundle.manifestBytes),
                "folder": result.folder.path,
            ])
        } else {
            print("built \(manifest.pipeline) \(manifest.version) bundle sha256 \(result.bundle.bundleSha256) "
                + "in \(result.folder.path)")
        }
    }
}

/// Where a build comes from and how it is signed: shared by `build` and `release`.
struct SourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A folder in the repository. Default: the current folder.", valueName: "path"))
    var repo: String = "."

    @Option(help: ArgumentHelp("The tag, branch or commit to build.", valueName: "ref"))
    var ref: String = "HEAD"

    @Option(help: ArgumentHelp("The private key that signs the manifest (builder role).", valueName: "file"))
    var key: String

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp(
        "The artifact cache. Default: $XDG_CACHE_HOME/ferry/artifacts or ~/.cache/ferry/artifacts.", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Run the tests even if this commit's tree already passed them (a passing record is otherwise reused).")
    var retest = false

    @Option(name: .customLong("repository-name"), help: ArgumentHelp(
        "The repository's name in the manifest. Default: FERRY_REPOSITORY, else the pipeline's name.", valueName: "name"))
    var repositoryName: String?

    func request(pipeline: String, bucket: BucketOptions, output: String) throws -> BuildRequest {
        do {
            try Name.validate(pipeline, as: "pipeline")
        } catch {
            throw ValidationError(error.message)
        }
        let config = try bucket.aws.config()
        let environment = ProcessInfo.processInfo.environment
        return BuildRequest(
            repository: repo, pipeline: pipeline, ref: ref, output: output, bucket: try bucket.bucketName(),
            layout: bucket.layout, objectURLBase: try ArtifactLocation.urlBase(for: config),
            cache: try ArtifactCache(folder: cacheDir ?? ArtifactCache.defaultFolder()),
            key: try KeyFiles.signingKey(key),
            repositoryName: repositoryName ?? environment["FERRY_REPOSITORY"].flatMap { $0.isEmpty ? nil : $0 },
            retest: retest)
    }
}

/// Progress on stderr (a line per phase with its time, test output prefixed with the
/// test's name, a progress bar for large uploads on a terminal); results on stdout.
enum Reporter {
    static func progress() -> BuildProgress {
        let terminal = isatty(2) == 1
        return BuildProgress(
            phase: { name, seconds, summary in
                Output.note("ferry: \(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%6.2fs", seconds))  \(summary)")
            },
            testOutput: { test, line in Output.note("  \(test) | \(line)") },
            transfer: { done, total in
                guard terminal, total > 4_000_000 else { return }
                let width = 30
                let filled = Int(Double(width) * Double(done) / Double(max(total, 1)))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                let text = String(format: "\r  upload [%@] %.1f / %.1f MB", bar, Double(done) / 1e6, Double(total) / 1e6)
                FileHandle.standardError.write(Data((text + (done >= total ? "\n" : "")).utf8))
            },
            note: { text in Output.note("ferry: \(text)") })
    }

}
