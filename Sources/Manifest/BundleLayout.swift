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
    /// more than this. Checked arithmetic: sizes that add up past `Int64.max` (a signed
    /// but absurd manifest) give `Int64.max`, never a trap; `unpackedSize` tells them apart.
    public func bundleSizeLimit(manifestBytes: Int) -> Int64 {
        guard let content = unpackedSize(manifestBytes: manifestBytes) else { return .max }
        var names = Int64(BundleLayout.manifest.utf8.count)
        for file in files { names = Self.add(names, Int64(file.path.utf8.count)) }
        let entries = Int64(files.count) + 1
        // Local header + central directory entry (each with the name and zip64 extras),
        // the deflate block overhead, and the end records.
        var limit = Self.add(content, content / 1_000)
        limit = Self.add(limit, Self.multiply(entries, 256))
        limit = Self.add(limit, Self.multiply(names, 2))
        return Self.add(limit, 65_536)
    }

    /// The bytes the bundle unpacks to (its files and the manifest), or nil when a size
    /// is negative or the sum passes `Int64.max`.
    public func unpackedSize(manifestBytes: Int) -> Int64? {
        var total = Int64(manifestBytes)
        for file in files {
            guard file.size >= 0 else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(Int64(file.size))
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// `a + b`, or `Int64.max` past it (both non-negative).
    private static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    private static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : product
    }
}
