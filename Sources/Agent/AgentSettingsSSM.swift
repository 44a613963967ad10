import AWS
import Foundation

/// Settings from SSM Parameter Store, as `stacksets/ferry-silo.yaml` writes them under
/// `/ferry/agent/` for either runner: each parameter stands for the `FERRY_*` variable of
/// its name (`bucket` → `FERRY_BUCKET`, `stack-prefix` → `FERRY_STACK_PREFIX`,
/// `trust/builder` → `FERRY_TRUST_BUILDER`, a public key's contents). Pure: the caller reads
/// the parameters (`SSM.parameters(under:)`) and merges the variables under its own
/// environment, which wins.
public enum SSMSettings {
    /// The parameter names (under the path) that stand for a setting.
    public static let names: [String] = AgentSettings.Layer.fileKeys.filter { $0 != "parameters" && $0 != "tags" }
        + ["artifact-bucket", "trust/builder", "trust/release", "trust/oncall"]

    /// The variables the parameters under `path` stand for, and the names under it that
    /// stand for no setting (logged, not fatal: a newer template may add some).
    public static func variables(_ parameters: [SSM.Parameter], path: String) -> (variables: [String: String], unknown: [String]) {
        let base = path.hasSuffix("/") ? path : path + "/"
        var variables: [String: String] = [:]
        var unknown: [String] = []
        for parameter in parameters where parameter.name.hasPrefix(base) {
            let name = String(parameter.name.dropFirst(base.count))
            guard names.contains(name) else {
                unknown.append(name)
                continue
            }
            let variable = "FERRY_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
                .replacingOccurrences(of: "/", with: "_")
            variables[variable] = parameter.value
        }
        return (variables, unknown.sorted())
    }
}
