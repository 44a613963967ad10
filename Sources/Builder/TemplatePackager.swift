import Foundation

/// A packaged template: its bytes and everything it now points at.
public struct PackagedTemplate: Hashable, Sendable {
    /// CloudFormation's limit for a template passed inline (`TemplateBody`), in bytes.
    public static let inlineLimit = 51_200

    /// The packaged template, in the format of its source.
    public var bytes: Data
    public var format: TemplateFormat
    /// Every artifact stored for it, nested templates and what they point at
    /// included, each once, in the order they were first stored.
    public var artifacts: [ArtifactLocation]

    /// Too large to pass inline: upload it and deploy with `TemplateURL`.
    public var needsURL: Bool { bytes.count > Self.inlineLimit }
}

/// Does what `aws cloudformation package` does, deterministically: every local path a
/// template's resources point at (code folders, definitions, nested templates, …; the
/// list is `PackagerRule.resources`) is stored through an `ArtifactSink` and the
/// property rewritten to the stored object's S3 location. Everything else is left as
/// it was; short-form intrinsics come out in long form.
public enum TemplatePackager {
    /// Packages the template at `path` (YAML or JSON; the result keeps its format).
    /// Local paths in it are relative to its folder. Nested templates
    /// (`AWS::CloudFormation::Stack` `TemplateURL`, `AWS::Serverless::Application`
    /// `Location`) are packaged first and stored with `sink.storeBytes`.
    ///
    /// With `within`, every path a template names — nested templates included — must
    /// lie inside that folder (lexically); anything else is `.outsideSource`, so a
    /// template cannot pack up files of the machine it is built on.
    ///
    /// `files` is where templates are read and paths checked: the disk by default.
    /// `checkFirst: false` skips the first pass, for a caller that has just packaged the
    /// same template with a sink that stores nothing (and so has checked it).
    public static func package(templateAt path: String, sink: some ArtifactSink, within folder: String? = nil,
                               files: some PackagerFiles = DiskFiles(),
                               checkFirst: Bool = true) throws(PackagerError) -> PackagedTemplate {
        let file = TemplateFile(root: path)
        let boundary = folder.map { PackagerPaths.normalize(TemplateFile(root: $0).absolute) }
        // A first pass checks every template and path and stores nothing, so a mistake
        // fails the packaging before anything is uploaded.
        if checkFirst {
            _ = try PackagingRun(sink: sink, checkOnly: true, boundary: boundary, files: files).package(file)
        }
        let run = PackagingRun(sink: sink, checkOnly: false, boundary: boundary, files: files)
        let document = try run.package(file)
        let text: String
        do {
            text = try document.serialized()
        } catch {
            throw PackagerError(code: .invalidTemplate, template: file.display, message: error.message)
        }
        return PackagedTemplate(bytes: Data(text.utf8), format: document.format, artifacts: run.artifacts)
    }
}

/// A template file: its absolute path for reading, and a display path for messages
/// (the root as given; nested ones relative to it), so errors name what the author wrote.
struct TemplateFile {
    var absolute: String
    var display: String

    init(root path: String) {
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        absolute = PackagerPaths.normalize(base)
        display = PackagerPaths.normalize(path)
    }

    private init(absolute: String, display: String) {
        self.absolute = absolute
        self.display = display
    }

    var folder: String { PackagerPaths.parent(absolute) }

    /// `relative` resolved against this template's folder.
    func resolve(_ relative: String) -> TemplateFile {
        if relative.hasPrefix("/") { return TemplateFile(absolute: PackagerPaths.normalize(relative), display: relative) }
        let displayFolder = PackagerPaths.parent(display)
        return TemplateFile(
            absolute: PackagerPaths.normalize(folder + "/" + relative),
            display: PackagerPaths.normalize(displayFolder.isEmpty ? relative : displayFolder + "/" + relative))
    }
}

/// One packaging pass: the sink, what has been stored, and the nested templates being
/// packaged (to refuse a template that contains itself). A `checkOnly` pass reads
/// every template and checks every path, and stores nothing.
final class PackagingRun<Sink: ArtifactSink> {
    let sink: Sink
    let checkOnly: Bool
    /// The folder every path must stay in, when set.
    let boundary: String?
    /// Where templates are read and paths checked.
    let files: any PackagerFiles
    private(set) var artifacts: [ArtifactLocation] = []
    private var storedKeys: Set<String> = []
    private var open: [TemplateFile] = []

    init(sink: Sink, checkOnly: Bool, boundary: String? = nil, files: any PackagerFiles = DiskFiles()) {
        self.sink = sink
        self.checkOnly = checkOnly
        self.boundary = boundary
        self.files = files
    }

    /// Refuses a path outside `boundary`.
    private func checkInside(_ target: TemplateFile, value: String, in template: TemplateFile?,
                             resource: String?, property: String?) throws(PackagerError) {
        guard let boundary, target.absolute != boundary, !target.absolute.hasPrefix(boundary == "/" ? "/" : boundary + "/")
        else { return }
        throw PackagerError(code: .outsideSource, template: template?.display ?? target.display, resource: resource,
                            property: property,
                            message: "'\(value)' is outside the pipeline's source folder; point only at files under source.path")
    }

    /// Stands in for a stored artifact in a `checkOnly` pass.
    private static var unstored: ArtifactLocation { ArtifactLocation(bucket: "", key: "", sha256: "", size: 0) }

    /// Reads, parses and rewrites one template.
    func package(_ file: TemplateFile) throws(PackagerError) -> TemplateDocument {
        if let start = open.firstIndex(where: { $0.absolute == file.absolute }) {
            let cycle = (open[start...].map(\.display) + [file.display]).joined(separator: " -> ")
            throw PackagerError(code: .nestedTemplateCycle, template: open[start].display,
                                message: "nested templates contain each other: \(cycle); a template cannot contain itself")
        }
        if open.isEmpty { try checkInside(file, value: file.display, in: nil, resource: nil, property: nil) }
        open.append(file)
        defer { open.removeLast() }

        let text: String
        do {
            guard let decoded = String(data: try files.contents(of: file.absolute), encoding: .utf8) else {
                throw CocoaError(.fileReadInapplicableStringEncoding)
            }
            text = decoded
        } catch {
            throw PackagerError(code: .unreadableTemplate, template: file.display,
                                message: "cannot read the template; check that it exists and is UTF-8 text",
                                cause: "\(error.localizedDescription)")
        }
        var document: TemplateDocument
        do {
            document = try TemplateDocument.parse(text)
        } catch {
            let at = error.line.map { "line \($0): " } ?? ""
            throw PackagerError(code: .invalidTemplate, template: file.display,
                                message: "\(at)\(error.message); fix the template's syntax")
        }
        guard case .mapping(var root) = document.root else {
            throw PackagerError(code: .invalidTemplate, template: file.display,
                                message: "a template must be a mapping (Resources, Parameters, …), not \(document.root.kindName)")
        }
        try TemplateRewriter(run: self, file: file).rewrite(&root)
        document.root = .mapping(root)
        return document
    }

    /// Stores a local file or folder for a property and returns its location.
    func store(_ target: TemplateFile, value: String, forceZip: Bool, in template: TemplateFile,
               resource: String, property: String) throws(PackagerError) -> ArtifactLocation {
        try checkInside(target, value: value, in: template, resource: resource, property: property)
        let kind = files.kind(of: target.absolute)
        guard kind != .missing else {
            throw PackagerError(
                code: .missingPath, template: template.display, resource: resource, property: property,
                message: "local path '\(value)' does not exist (looked for \(target.display)); "
                    + "write a path relative to the template's folder, or an s3:// URL")
        }
        guard !checkOnly else { return Self.unstored }
        do {
            let location: ArtifactLocation
            if kind == .folder {
                location = try sink.storeFolder(at: target.absolute)
            } else if forceZip, !files.isZip(target.absolute) {
                location = try sink.storeZippedFile(at: target.absolute)
            } else {
                location = try sink.storeFile(at: target.absolute)
            }
            record(location)
            return location
        } catch {
            throw PackagerError(code: .storeFailed, template: template.display, resource: resource, property: property,
                                message: "could not store '\(value)'; check the artifact store and try again",
                                cause: "\(error)")
        }
    }

    /// Packages a nested template, stores it, and returns its object URL.
    func storeNested(_ target: TemplateFile, value: String, in template: TemplateFile,
                     resource: String, property: String) throws(PackagerError) -> String {
        try checkInside(target, value: value, in: template, resource: resource, property: property)
        switch files.kind(of: target.absolute) {
        case .missing:
            throw PackagerError(
                code: .missingPath, template: template.display, resource: resource, property: property,
                message: "nested template '\(value)' does not exist (looked for \(target.display)); "
                    + "write a path relative to the template's folder, or an S3 URL")
        case .folder:
            throw PackagerError(
                code: .nestedTemplateNotAFile, template: template.display, resource: resource, property: property,
                message: "'\(value)' is a folder; a nested stack needs a template file")
        case .file:
            break
        }
        let child = try package(target)
        guard !checkOnly else { return "" }
        let text: String
        do {
            text = try child.serialized()
        } catch {
            throw PackagerError(code: .invalidTemplate, template: target.display, message: error.message)
        }
        do {
            let location = try sink.storeBytes(Data(text.utf8), suggestedName: PackagerPaths.name(target.absolute))
            record(location)
            return location.url(base: sink.objectURLBase)
        } catch {
            throw PackagerError(code: .storeFailed, template: template.display, resource: resource, property: property,
                                message: "could not store the packaged '\(value)'; check the artifact store and try again",
                                cause: "\(error)")
        }
    }

    private func record(_ location: ArtifactLocation) {
        if storedKeys.insert(location.bucket + "/" + location.key).inserted { artifacts.append(location) }
    }
}
