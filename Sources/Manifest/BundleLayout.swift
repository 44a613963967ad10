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
    /// more than this.
    public func bundleSizeLimit(manifestBytes: Int) -> Int64 {
        let content = Int64(files.reduce(manifestBytes) { $0 + $1.size })
        let names = Int64(files.reduce(BundleLayout.manifest.utf8.count) { $0 + $1.path.utf8.count })
        let entries = Int64(files.count + 1)
        // Local header + central directory entry (each with the name and zip64 extras),
        // the deflate block overhead, and the end records.
        return content + content / 1_000 + entries * 256 + names * 2 + 65_536
    }
}
