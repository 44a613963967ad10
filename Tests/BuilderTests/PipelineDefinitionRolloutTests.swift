import Foundation
import Manifest
import Testing
@testable import Builder

/// The `rollout:` section: a full policy, the defaults, and every mistake with its
/// file:line message.
@Suite struct PipelineDefinitionRolloutTests {
    static let file = "pipelines/dropzone.yaml"
    static let head = """
        pipeline: dropzone
        source:
          path: examples/dropzone
        stacks:
          - name: storage
            template: templates/storage.yaml
        channels: [canary, stable]
        rollout:

        """

    /// A definition whose `rollout:` section is `body` (indented under it; line 9 is its first line).
    static func with(_ body: String) -> String { head + body }

    @Test func aFullPolicy() throws {
        let definition = try PipelineDefinitionTests.parse(Self.with("""
              stable:
                waves:
                  - name: canaries
                    silos: ["*-canary", "test-?"]
                  - name: eu
                    regions: [eu-west-1, eu-central-1]
                    tags: {tier: gold}
                    percent: 50
                  - accounts: ["012345678901"]
                  - name: rest
                bake: 30m
                maxFailures: {wave: 1, total: "5%"}
                alarms: [api-5xx, "webapp-*"]
                insufficientData: unhealthy
                unreported: {skipAfter: 2h}
                onHalt: [quarantine]
                freezes:
                  - {from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z, reason: year end}

            """))
        let policy = try #require(definition.rollouts["stable"])
        #expect(definition.rollouts["canary"] == nil)
        #expect(policy.waves == [
            WaveSelector(name: "canaries", silos: ["*-canary", "test-?"]),
            WaveSelector(name: "eu", regions: ["eu-west-1", "eu-central-1"], tags: ["tier": "gold"], percent: 50),
            WaveSelector(name: "wave-3", accounts: ["012345678901"]),
            WaveSelector(name: "rest"),
        ])
        #expect(policy.bake == 1800)
        #expect(policy.maxFailures == .init(wave: .count(1), total: .percent(5)))
        #expect(policy.alarms == [.name("api-5xx"), .prefix("webapp-")])
        #expect(policy.insufficientData == .unhealthy)
        #expect(policy.unreported == .skipAfter(7200))
        #expect(!policy.rollbackOnHalt && policy.quarantineOnHalt)
        let freeze = try #require(policy.freezes.first)
        #expect(freeze.reason == "year end")
        #expect(policy.freeze(at: try #require(Timestamp.parse("2026-12-24T12:00:00Z"))) == freeze)
        #expect(policy.freeze(at: try #require(Timestamp.parse("2027-01-04T00:00:00Z"))) == nil)
    }

    @Test func theDefaults() throws {
        let definition = try PipelineDefinitionTests.parse(Self.with("  canary:\n    waves: [{silos: [\"a*\"]}, {}]\n"))
        let policy = try #require(definition.rollouts["canary"])
        #expect(policy.waves.map(\.name) == ["wave-1", "wave-2"])
        #expect(policy.bake == 0)
        #expect(policy.maxFailures == .init(wave: .count(0), total: .count(0)))
        #expect(policy.alarms.isEmpty)
        #expect(policy.insufficientData == .healthy)
        #expect(policy.unreported == .wait)
        #expect(policy.rollbackOnHalt && policy.quarantineOnHalt)
        #expect(policy.freezes.isEmpty)
        #expect(try PipelineDefinitionTests.parse(Self.with("  canary:\n    waves: [{}]\n    maxFailures: \"20%\"\n"))
            .rollouts["canary"]?.maxFailures == .init(wave: .percent(20), total: .percent(20)))
        #expect(try PipelineDefinitionTests.parse(String(Self.head.dropLast("rollout:\n".count))).rollouts.isEmpty)
    }

    struct Mistake: CustomTestStringConvertible, Sendable {
        var label: String
        var body: String
        var code: PipelineDefinitionError.Code
        var message: String
        var testDescription: String { label }
    }

    static let mistakes: [Mistake] = [
        .init(label: "rollout not a mapping", body: "  - stable\n", code: .wrongType,
              message: "\(file):9: 'rollout' must be a mapping of channel names to rollout policies, not a list"),
        .init(label: "unknown channel", body: "  stabel:\n    waves: [{}]\n", code: .invalidName,
              message: "\(file):9: 'rollout' names channel 'stabel', which is not in 'channels' (did you mean 'stable'?)"),
        .init(label: "missing waves", body: "  stable:\n    bake: 1h\n", code: .missingKey,
              message: "\(file):10: missing key 'waves' in the rollout of 'stable'"),
        .init(label: "unknown policy key", body: "  stable:\n    waves: [{}]\n    bakeTime: 1h\n", code: .unknownKey,
              message: "\(file):11: unknown key 'bakeTime' in the rollout of 'stable'"),
        .init(label: "no waves", body: "  stable:\n    waves: []\n", code: .invalidValue,
              message: "\(file):10: 'waves' in the rollout of 'stable' must list at least one wave"),
        .init(label: "unknown wave key", body: "  stable:\n    waves:\n      - region: [eu-west-1]\n", code: .unknownKey,
              message: "\(file):11: unknown key 'region' in wave 1 in the rollout of 'stable' (did you mean 'regions'?)"),
        .init(label: "duplicate wave name", body: "  stable:\n    waves: [{name: a}, {name: a}]\n", code: .duplicateName,
              message: "\(file):10: wave name 'a' in the rollout of 'stable' is used twice"),
        .init(label: "bad wave name", body: "  stable:\n    waves: [{name: first wave}]\n", code: .invalidName,
              message: "\(file):10: bad wave name 'first wave' in wave 1 in the rollout of 'stable': use 1 to 64 letters, digits, '.', '_' or '-'"),
        .init(label: "short account id", body: "  stable:\n    waves:\n      - accounts: [\"1234\"]\n", code: .invalidValue,
              message: "\(file):11: bad entry '1234' in 'accounts' in wave 1 in the rollout of 'stable': an account id is 12 digits (quote it to keep leading zeros)"),
        .init(label: "bad region", body: "  stable:\n    waves:\n      - regions: [Ireland]\n", code: .invalidValue,
              message: "\(file):11: bad entry 'Ireland' in 'regions' in wave 1 in the rollout of 'stable': write a region name like eu-west-1"),
        .init(label: "empty silo list", body: "  stable:\n    waves:\n      - silos: []\n", code: .invalidValue,
              message: "\(file):11: 'silos' in wave 1 in the rollout of 'stable' is empty; leave it out to select every silo"),
        .init(label: "bad silo pattern", body: "  stable:\n    waves:\n      - silos: [\"prod/eu\"]\n", code: .invalidValue,
              message: "\(file):11: bad entry 'prod/eu' in 'silos' in wave 1 in the rollout of 'stable': letters, digits, '.', '_', '-', '*' and '?'"),
        .init(label: "percent too large", body: "  stable:\n    waves:\n      - percent: 150\n", code: .invalidValue,
              message: "\(file):11: bad 'percent' in wave 1 in the rollout of 'stable': '150'; write a whole number from 1 to 100"),
        .init(label: "percent zero", body: "  stable:\n    waves:\n      - percent: 0\n", code: .invalidValue,
              message: "\(file):11: bad 'percent' in wave 1 in the rollout of 'stable': '0'; write a whole number from 1 to 100"),
        .init(label: "bad bake", body: "  stable:\n    waves: [{}]\n    bake: 1 week\n", code: .invalidValue,
              message: "\(file):11: bad 'bake' in the rollout of 'stable': '1 week'; write whole seconds (90) or a number with a unit (\"90s\", \"30m\", \"2h\", \"1d\")"),
        .init(label: "negative failures", body: "  stable:\n    waves: [{}]\n    maxFailures: -1\n", code: .invalidValue,
              message: "\(file):11: bad 'maxFailures' in the rollout of 'stable': '-1'; write a number of silos (2) or a percentage (\"10%\")"),
        .init(label: "percent over 100", body: "  stable:\n    waves: [{}]\n    maxFailures: {wave: \"120%\"}\n", code: .invalidValue,
              message: "\(file):11: bad 'wave' in 'maxFailures' in the rollout of 'stable': '120%'; write a number of silos (2) or a percentage (\"10%\")"),
        .init(label: "unknown maxFailures key", body: "  stable:\n    waves: [{}]\n    maxFailures: {overall: 2}\n", code: .unknownKey,
              message: "\(file):11: unknown key 'overall' in 'maxFailures' in the rollout of 'stable'"),
        .init(label: "star inside an alarm", body: "  stable:\n    waves: [{}]\n    alarms: [\"api-*-5xx\"]\n", code: .invalidValue,
              message: "\(file):11: bad alarm 'api-*-5xx' in the rollout of 'stable': write an alarm name (1 to 255 characters) or a prefix followed by one '*' at the end"),
        .init(label: "alarm twice", body: "  stable:\n    waves: [{}]\n    alarms: [a, a]\n", code: .duplicateName,
              message: "\(file):11: 'alarms' in the rollout of 'stable' lists 'a' twice"),
        .init(label: "bad insufficientData", body: "  stable:\n    waves: [{}]\n    insufficientData: ok\n", code: .invalidValue,
              message: "\(file):11: bad 'insufficientData' in the rollout of 'stable': 'ok'; write healthy, unhealthy or wait"),
        .init(label: "bad unreported", body: "  stable:\n    waves: [{}]\n    unreported: skip\n", code: .invalidValue,
              message: "\(file):11: bad 'unreported' in the rollout of 'stable': write wait, or {skipAfter: 30m}"),
        .init(label: "zero skipAfter", body: "  stable:\n    waves: [{}]\n    unreported: {skipAfter: 0}\n", code: .invalidValue,
              message: "\(file):11: bad 'skipAfter' in the rollout of 'stable': '0'; write whole seconds (90) or a number with a unit (\"90s\", \"30m\", \"2h\", \"1d\"), more than zero"),
        .init(label: "unknown halt action", body: "  stable:\n    waves: [{}]\n    onHalt: [page]\n", code: .invalidValue,
              message: "\(file):11: unknown action 'page' in 'onHalt' in the rollout of 'stable': write rollback, quarantine or both"),
        .init(label: "freeze ending before it starts", body: "  stable:\n    waves: [{}]\n    freezes:\n      - {from: 2026-12-20T00:00:00Z, until: 2026-12-01T00:00:00Z, reason: x}\n",
              code: .invalidValue, message: "\(file):12: 'until' in freeze 1 in the rollout of 'stable' must be after 'from'"),
        .init(label: "freeze with a bad time", body: "  stable:\n    waves: [{}]\n    freezes:\n      - {from: christmas, until: 2026-12-01T00:00:00Z, reason: x}\n",
              code: .invalidValue, message: "\(file):12: bad 'from' in freeze 1 in the rollout of 'stable': 'christmas'; write a UTC time such as 2026-12-20T00:00:00Z"),
        .init(label: "freeze without a reason", body: "  stable:\n    waves: [{}]\n    freezes:\n      - {from: 2026-12-20T00:00:00Z, until: 2027-01-01T00:00:00Z}\n",
              code: .missingKey, message: "\(file):12: missing key 'reason' in freeze 1 in the rollout of 'stable'"),
    ]

    @Test(arguments: mistakes)
    func eachMistakeHasItsMessage(_ mistake: Mistake) {
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinitionTests.parse(Self.with(mistake.body))
        }
        #expect(error?.code == mistake.code)
        #expect(error?.description == mistake.message)
    }
}
