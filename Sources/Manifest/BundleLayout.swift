/// The paths inside a release's `bundle.zip`, shared by the builder that writes it, the
/// agent that unpacks it and `ferry verify`:
///
/// ```
/// manifest.json                   the manifest (the same bytes as beside the zip)
/// templates/<stack>.yaml|.json    each stack's packaged template
/// parameters/<stack>.json         {"Parameters":{…},"Tags":{…}} (CodePipeline's template configuration)
/// tests.log                       the output of the tests gate
/// ```
public enum BundleLayout {
    public static let manifest = "manifest.json"
    public static let testsLog = "tests.log"

    /// `templates/<stack>.<ext>`; `ext` is `yaml` or `json`, as the source template.
    public static func template(stack: String, ext: String) -> String { "templates/\(stack).\(ext)" }

    /// `parameters/<stack>.json`.
    public static func parameters(stack: String) -> String { "parameters/\(stack).json" }
}

extension Manifest {
    /// The most bytes a bundle of this manifest can take: its files and the manifest
    /// stored without compression (deflate never grows data by more than a few bytes
    /// per block), plus the zip's headers for every entry. The agent refuses to download
    /// more than this. `validate()` has checked that it fits in an `Int64` for any
    /// manifest up to `SizeCap.manifest`; past that it saturates, never traps.
    public func bundleSizeLimit(manifestBytes: Int) -> Int64 {
        (try? checkedBundleSizeLimit(manifestBytes: manifestBytes)) ?? .max
    }

    /// `bundleSizeLimit`, with every sum checked: sizes that add up past `Int64.max` are
    /// a `ManifestError`, never an arithmetic trap.
    func checkedBundleSizeLimit(manifestBytes: Int) throws(ManifestError) -> Int64 {
        var content = Checked.Sum(Int64(manifestBytes), what: "the sizes of the manifest's files")
        var names = Checked.Sum(Int64(BundleLayout.manifest.utf8.count), what: "the lengths of the file names")
        for file in files {
            try content.add(Int64(file.size))
            try names.add(Int64(file.path.utf8.count))
        }
        let entries = Int64(files.count) + 1
        // Local header + central directory entry (each with the name and zip64 extras),
        // the deflate block overhead, and the end records.
        var limit = Checked.Sum(content.total, what: "the bundle size limit")
        try limit.add(content.total / 1_000)
        try limit.add(Checked.product(entries, 256, what: "the bundle size limit"))
        try limit.add(Checked.product(names.total, 2, what: "the bundle size limit"))
        try limit.add(65_536)
        return limit.total
    }
}

/// Checked arithmetic for sizes and counts read from documents: an overflow is a
/// `ManifestError` (`invalidValue`) naming what was summed.
enum Checked {
    struct Sum {
        private(set) var total: Int64
        let what: String

        init(_ start: Int64, what: String) {
            total = start
            self.what = what
        }

        mutating func add(_ value: Int64) throws(ManifestError) {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { throw Checked.overflow(what) }
            total = sum
        }
    }

    static func product(_ left: Int64, _ right: Int64, what: String) throws(ManifestError) -> Int64 {
        let (product, overflowed) = left.multipliedReportingOverflow(by: right)
        guard !overflowed else { throw overflow(what) }
        return product
    }

    static func overflow(_ what: String) -> ManifestError {
        ManifestError(.invalidValue, "\(what) add up past the largest size ferry can count (\(Int64.max) bytes): the "
            + "manifest cannot describe a real bundle; refused")
    }
}
