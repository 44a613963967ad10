import Foundation

/// One file of the zip to unpack, as its headers declare it.
struct PlannedFile: Sendable {
    /// Its position among all entries of the zip (folders included), in the zip's order.
    let index: Int
    /// The name as stored, for errors.
    let name: String
    /// The normalised path it is written to.
    let path: String
    /// The uncompressed size its header declares: the data must be exactly this long.
    let declared: Int64
    let executable: Bool
}

/// The first pass of `extract`: every header read and checked before any file is
/// written, the folders made, and the files to unpack listed.
struct ExtractionPlan: Sendable {
    var files: [PlannedFile] = []
    /// The sum of the files' declared sizes.
    var declaredBytes: Int64 = 0

    /// Refuses (naming the entry) a name that is not UTF-8, unsafe or taken twice, a link,
    /// device, FIFO or socket, more than `maxEntries` entries, a file without a declared
    /// size, declared sizes beyond `maxBytes` or beyond `maxRatio` times `zipSize` (the
    /// data is later held to exactly its declared size, so these bound what is written).
    static func scan(zip path: String, staging: StagingFolder, limits: ExtractLimits,
                     zipSize: Int64) throws(ArchiveError) -> ExtractionPlan {
        let reader = try ArchiveReadHandle(path: path)
        var plan = ExtractionPlan()
        var names = NameBook()
        var index = 0
        while let raw = try reader.nextEntry() {
            defer { index += 1 }
            let shown = raw.name ?? "(name is not UTF-8)"
            guard index < limits.maxEntries else {
                throw ArchiveError(.tooManyEntries, "the zip has more than \(limits.maxEntries) entries: refused", entry: shown)
            }
            guard let name = raw.name else {
                throw ArchiveError(.unsafePath, "an entry name is not valid UTF-8: refused", entry: shown)
            }
            try EntryCheck.allow(raw, name: name)
            let normal = try EntryName.normalise(name)
            try names.add(normal, isDirectory: raw.kind == .directory, entry: name)
            if raw.kind == .directory {
                _ = try staging.directory(normal, entry: name)
                continue
            }
            guard let declared = raw.size, declared >= 0 else {
                throw ArchiveError(.sizeMismatch, "entry \(name) declares no size: refused", entry: name)
            }
            guard declared <= limits.maxBytes - plan.declaredBytes else {
                throw ArchiveError(.tooLarge, "entry \(name) would take the zip past \(limits.maxBytes) bytes: refused",
                                   entry: name)
            }
            plan.declaredBytes += declared
            if plan.declaredBytes > limits.ratioFloorBytes, Double(plan.declaredBytes) > limits.maxRatio * Double(zipSize) {
                throw ArchiveError(.compressionRatio, "the zip expands more than \(limits.ratioText)x its size (a zip "
                    + "bomb?): refused", entry: name)
            }
            plan.files.append(PlannedFile(index: index, name: name, path: normal, declared: declared,
                                          executable: raw.permissions & 0o111 != 0))
        }
        return plan
    }
}

extension ExtractLimits {
    var ratioText: String { String(format: "%g", maxRatio) }
}

/// Which entry kinds may be unpacked: regular files and folders, nothing else.
enum EntryCheck {
    static func allow(_ raw: RawEntry, name: String) throws(ArchiveError) {
        switch raw.kind {
        case .regular, .directory:
            return
        case .symlink, .hardlink:
            let kind = raw.kind == .symlink ? "a symbolic link" : "a hard link"
            let target = raw.linkTarget.map { " to '\($0)'" } ?? ""
            throw ArchiveError(.link, "entry \(name) is \(kind)\(target); bundles carry regular files only: refused", entry: name)
        case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
            throw ArchiveError(.unsupportedEntryType,
                               "entry \(name) is a device, FIFO or socket; bundles carry regular files only: refused", entry: name)
        }
    }
}

/// Every name seen so far, to refuse duplicates and files where folders are needed.
struct NameBook {
    private var files: Set<String> = []
    private var folders: Set<String> = []
    private var declaredFolders: Set<String> = []

    mutating func add(_ path: String, isDirectory: Bool, entry: String) throws(ArchiveError) {
        func clash(_ what: String) -> ArchiveError {
            ArchiveError(.duplicateEntry, "entry \(entry) \(what): refused", entry: entry)
        }
        if files.contains(path) || declaredFolders.contains(path) { throw clash("appears twice (as \(path))") }
        if !isDirectory, folders.contains(path) { throw clash("is a file where other entries need a folder") }
        var parent = Substring(path)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            if files.contains(String(parent)) { throw clash("needs \(parent) to be a folder, but it is a file") }
            folders.insert(String(parent))
        }
        if isDirectory {
            declaredFolders.insert(path)
            folders.insert(path)
        } else {
            files.insert(path)
        }
    }
}
