import Foundation
import Testing
import TestSupport
@testable import Builder

/// The packager against the real `aws cloudformation package` (awscli, uploading to the
/// local moto): the same properties are rewritten, to values of the same shape in the
/// same bucket, the CLI's objects hold the same files ours do, nested templates agree
/// the same way, and everything else is equal. Keys differ by design (the CLI names
/// objects by MD5, Ferry by SHA-256), so rewritten values are compared by shape.
@Suite struct PackagerEquivalenceTests {
    @Test(arguments: ["packaging/template.yaml", "packaging-json/template.json"])
    func packagesAsTheAWSCLIDoes(fixture: String) throws {
        let endpoint = try TestEnvironment.motoEndpoint()
        let bucket = uniqueName("ferry-package")
        let scratch = try TemporaryDirectory("ferry-equivalence")
        let template = Fixtures.path(fixture)
        let folder = PackagerPaths.parent(template)
        let aws = ["-m", "awscli", "--endpoint-url", endpoint]
        try FerryProcess.runPython(aws + ["s3", "mb", "s3://\(bucket)"]).check()
        // Run in the template's folder: the CLI checks FORCE_ZIP files relative to the
        // working directory (a bug Ferry does not copy: it resolves from the template).
        try FerryProcess.runPython(aws + ["cloudformation", "package", "--template-file", template, "--s3-bucket", bucket,
                                          "--output-template-file", scratch.url("cli-output")]
                                   + (fixture.hasSuffix(".json") ? ["--use-json"] : []), folder: folder).check()
        try FerryProcess.runPython(aws + ["s3", "cp", "s3://\(bucket)/", scratch.url("objects"), "--recursive", "--quiet"])
            .check()

        let sink = InMemoryArtifactSink(bucket: bucket, objectURLBase: endpoint)
        let packaged = try TemplatePackager.package(templateAt: template, sink: sink)
        var comparison = Comparison(sink: sink, bucket: bucket, endpoint: endpoint, objects: scratch.url("objects"))
        try comparison.compare(
            original: Meaning.parse(String(contentsOfFile: template, encoding: .utf8)),
            ours: Meaning.parse(data: packaged.bytes),
            theirs: Meaning.parse(String(contentsOfFile: scratch.url("cli-output"), encoding: .utf8)),
            folder: folder, name: fixture)
        try comparison.checkZips()
        #expect(comparison.rewritten > 5, "the fixture exercises the packager")
        #expect(comparison.nested >= 1, "the fixture has a nested stack")
    }

    /// Walks the three trees and the objects behind every rewritten value.
    struct Comparison {
        let sink: InMemoryArtifactSink
        let bucket: String
        let endpoint: String
        let objects: String
        var rewritten = 0
        var nested = 0
        /// CLI object file → the file names our sink stored for the same property.
        var expectedZips: [(String, [String], String)] = []

        mutating func compare(original: Meaning, ours: Meaning, theirs: Meaning, folder: String, name: String) throws {
            let ourChanges = Meaning.differences(original, ours)
            let theirChanges = Meaning.differences(original, theirs)
            #expect(Set(ourChanges) == Set(theirChanges), "\(name): rewritten paths differ")
            for path in Meaning.differences(ours, theirs) {
                let ourValue = String(describing: ours[path]), theirValue = String(describing: theirs[path])
                #expect(ourChanges.contains { path.starts(with: $0) },
                        "\(name): \(path.joined(separator: "/")) differs but was not rewritten: ours \(ourValue), theirs \(theirValue)")
            }
            for path in ourChanges where theirChanges.contains(path) {
                rewritten += 1
                try compareRewritten(ours[path], theirs[path], original: original[path], folder: folder,
                                     label: "\(name): \(path.joined(separator: "/"))")
            }
        }

        private mutating func compareRewritten(_ ours: Meaning?, _ theirs: Meaning?, original: Meaning?, folder: String,
                                               label: String) throws {
            switch (ours, theirs) {
            case (.string(let our)?, .string(let their)?) where our.hasPrefix("s3://"):
                let prefix = "s3://\(bucket)/"
                #expect(our.hasPrefix(prefix) && their.hasPrefix(prefix), "\(label): \(our) vs \(their)")
                try compareObjects(String(our.dropFirst(prefix.count)), String(their.dropFirst(prefix.count)), label: label)
            case (.string(let our)?, .string(let their)?):
                let prefix = "\(endpoint)/\(bucket)/"
                #expect(our.hasPrefix(prefix) && their.hasPrefix(prefix), "\(label): \(our) vs \(their)")
                let ourKey = String(our.dropFirst(prefix.count)), theirKey = String(their.dropFirst(prefix.count))
                let relative = try #require(original?.string, "\(label): a nested template path")
                let childPath = PackagerPaths.normalize(folder + "/" + relative)
                nested += 1
                try compare(original: Meaning.parse(String(contentsOfFile: childPath, encoding: .utf8)),
                            ours: Meaning.parse(data: try #require(sink.objects[ourKey], "\(label)")),
                            theirs: Meaning.parse(String(contentsOfFile: objects + "/" + theirKey, encoding: .utf8)),
                            folder: PackagerPaths.parent(childPath), name: relative)
            case (.map(let our)?, .map(let their)?):
                #expect(our.map(\.key) == their.map(\.key), "\(label): keys")
                let bucketKey = our.first?.key ?? "", keyKey = our.last?.key ?? ""
                #expect(our.count == 2 && ours?[bucketKey] == .string(bucket) && theirs?[bucketKey] == .string(bucket), "\(label)")
                try compareObjects(try #require(ours?[keyKey]?.string), try #require(theirs?[keyKey]?.string), label: label)
            default:
                Issue.record("\(label): different shapes, ours \(String(describing: ours)), theirs \(String(describing: theirs))")
            }
        }

        /// Same bytes for a file stored as it is; the same file names for a zip.
        private mutating func compareObjects(_ ourKey: String, _ theirKey: String, label: String) throws {
            let theirFile = objects + "/" + theirKey
            let theirBytes = try #require(FileManager.default.contents(atPath: theirFile), "\(label): CLI object \(theirKey)")
            switch sink.how[ourKey] {
            case .file(let path)?:
                #expect(theirBytes == FileManager.default.contents(atPath: path), "\(label): stored as is by both")
            case .folder(let names)?:
                expectedZips.append((theirFile, names, label))
            case .zippedFile(let name)?:
                expectedZips.append((theirFile, [name], label))
            case .bytes?, nil:
                Issue.record("\(label): our key \(ourKey) is not an artifact")
            }
        }

        /// The CLI's zips list exactly the files our sink was given (one Python call).
        func checkZips() throws {
            let script = """
                import json, sys, zipfile
                print(json.dumps([sorted(zipfile.ZipFile(f).namelist()) if zipfile.is_zipfile(f) else None for f in sys.argv[1:]]))
                """
            let run = try FerryProcess.runPython(["-c", script] + expectedZips.map(\.0)).check()
            guard case .list(let listed) = try Meaning.parse(run.stdout) else {
                Issue.record("unexpected output: \(run.stdout)")
                return
            }
            #expect(listed.count == expectedZips.count)
            for ((_, names, label), entries) in zip(expectedZips, listed) {
                #expect(entries == .list(names.map(Meaning.string)), "\(label): the CLI zipped \(entries), we stored \(names)")
            }
        }
    }
}
