import AWS
import ArgumentParser
import Fleet
import Foundation
import Manifest

/// `ferry bootstrap --ou OU_ID ...`: creates or updates the SERVICE_MANAGED StackSet of
/// stacksets/ferry-silo.yaml with automatic deployment, and deploys it to the OUs.
struct BootstrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Set up the silo agent in every account of Organizations OUs (a StackSet).",
        discussion: """
        Run it with credentials of the organization's management account (or a delegated \
        StackSets administrator). It creates the stack set (or updates it when it exists) with \
        automatic deployment, so accounts created in or moved into the OUs get the agent, then \
        creates the stack instances the OUs lack, following each operation to its end. \
        Parameters come from the flags; --parameter KEY=VALUE sets any other the template \
        declares (e.g. LocalEmulator=true on moto, FerryBinarySha256=...). Every --ou is checked \
        against the organization before anything is created. The template is found from any \
        folder (--template, FERRY_SILO_TEMPLATE, ./stacksets, beside the binary, its checkout).

        Examples:
          ferry bootstrap --ou ou-ab12-11111111 --bucket acme-ferry --pipeline dropzone \\
              --trust builder.pub=builder --trust release.pub=release --trust oncall.pub=oncall
          ferry bootstrap --ou ou-ab12-11111111 --ou ou-ab12-22222222 --deploy-region eu-west-1 \\
              --deploy-region us-east-1 --bucket acme-ferry --pipeline dropzone --channel canary \\
              --trust keys.pub=builder,release,oncall --json
        """)

    @Option(name: .customLong("ou"), help: ArgumentHelp("An OU to deploy to (ou-... or r-...); repeat for several.",
                                                         valueName: "ou-id"))
    var organizationalUnits: [String] = []

    @Option(name: .customLong("deploy-region"), help: ArgumentHelp(
        "A region to deploy the agent in; repeat for several. Default: the AWS region.", valueName: "region"))
    var deployRegions: [String] = []

    @Option(name: .customLong("stack-set-name"), help: "The stack set's name.")
    var stackSetName = "ferry-silo"

    @Option(help: ArgumentHelp("The silo template. Default: FERRY_SILO_TEMPLATE, else stacksets/ferry-silo.yaml "
        + "in this folder, beside the ferry binary (share/ferry/) or in the checkout it was built in.", valueName: "file"))
    var template: String?

    @Option(name: .customLong("pipeline"), help: ArgumentHelp("A pipeline the silos run; repeat for several.",
                                                              valueName: "name"))
    var pipelines: [String] = []

    @Option(help: ArgumentHelp("The channel the silos follow (template default: stable).", valueName: "channel"))
    var channel: String?

    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "A public key the agents trust: FILE.pub=ROLE[,ROLE] (builder, release, oncall); one key per role.",
        valueName: "file=roles"))
    var trust: [String] = []

    @Option(name: .customLong("parameter"), help: ArgumentHelp("Any other template parameter.", valueName: "key=value"))
    var parameters: [String] = []

    @Option(name: .customLong("capability"), help: "A capability to acknowledge; repeat for several.")
    var capabilities: [String] = ["CAPABILITY_IAM"]

    @Option(help: ArgumentHelp("How long to follow each stack set operation: 30m, 1h.", valueName: "duration"))
    var timeout = "30m"

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp(
        "How often to ask for the state of a stack set operation: 5s, 30s.", valueName: "duration"))
    var pollInterval = "5s"

    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        guard !organizationalUnits.isEmpty else { throw ValidationError("give at least one --ou OU_ID") }
        for ou in organizationalUnits where !(ou.hasPrefix("ou-") || ou.hasPrefix("r-")) {
            throw ValidationError("--ou \(ou): an OU id starts with ou- (or r- for the root)")
        }
        for parameter in parameters where !parameter.contains("=") {
            throw ValidationError("--parameter \(parameter): write KEY=VALUE")
        }
        do {
            _ = try Age.parse(timeout)
            _ = try Age.parse(pollInterval)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let template = try SiloTemplate.locate(given: template)
        let text: String
        do {
            text = try String(contentsOfFile: template, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the template \(template): \(error.localizedDescription); "
                + "pass --template PATH/ferry-silo.yaml")
        }
        let settings = SiloSettings(
            bucket: try bucket.bucketName(), prefix: bucket.layout.prefix, pipelines: pipelines, channel: channel,
            keys: try keysByRole(), extra: Dictionary(parameters.map {
                let parts = $0.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { $1 }))
        let declared = try TemplateParameter.parse(template: text, file: template)
        let values = try SiloParameters.make(settings, declared: declared, file: template)
        let config = try bucket.aws.config()
        let request = BootstrapRequest(
            stackSetName: stackSetName, templateBody: text, parameters: values,
            organizationalUnits: organizationalUnits, regions: deployRegions.isEmpty ? [config.region] : deployRegions,
            capabilities: capabilities)
        let organizations = Organizations(config: config)
        let bootstrapper = Bootstrapper(
            cloudFormation: CloudFormation(config: config), progress: Output.note,
            targetExists: { (id: String) throws(FleetError) -> Bool in
                do throws(AWSError) {
                    if id.hasPrefix("r-") { return try organizations.listRoots().contains { $0.id == id } }
                    return try organizations.describeOrganizationalUnit(id: id) != nil
                } catch {
                    let message = "cannot check --ou \(id) with AWS Organizations: \(error.message); run bootstrap "
                        + "with the management account's (or a delegated administrator's) credentials"
                    throw FleetError(.storage, message, cause: error)
                }
            })
        let result = try bootstrapper.run(request, pollEvery: Double(try Age.parse(pollInterval)),
                                          timeout: try Age.parse(timeout))
        if json {
            try FleetOutput.json(result)
            return
        }
        print("stack set \(result.stackSet) \(result.action): \(result.instances.count) stack instance"
            + (result.instances.count == 1 ? "" : "s"))
        let rows = result.instances.sorted { ($0.account, $0.region) < ($1.account, $1.region) }.map {
            [TextTable.Cell($0.account), .init($0.region), .init($0.organizationalUnit ?? "-"), .init($0.status),
             .init($0.detailedStatus ?? "-")]
        }
        for line in TextTable(header: ["ACCOUNT", "REGION", "OU", "STATUS", "DETAIL"], rows: rows)
            .lines(color: FleetOutput.color) { print(line) }
    }

    /// The public key text for each role, from `--trust FILE.pub=ROLES`.
    func keysByRole() throws -> [Role: String] {
        var keys: [Role: String] = [:]
        for argument in trust {
            let store = try KeyFiles.trust([argument])
            for entry in store.entries.values {
                for role in entry.roles {
                    if keys[role] != nil, keys[role] != entry.key.fileContents {
                        throw ValidationError("two keys given for the role \(role.rawValue); the silo template trusts "
                            + "one key per role")
                    }
                    keys[role] = entry.key.fileContents
                }
            }
        }
        return keys
    }
}
