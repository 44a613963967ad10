import Foundation
import Manifest
import Yams

/// The `rollout:` section: one policy per channel (docs/pipelines.md, "Rollouts").
extension PipelineDefinitionParser {
    static let rolloutKeys = ["waves", "bake", "maxFailures", "alarms", "insufficientData", "unreported", "onHalt", "freezes"]
    static let waveKeys = ["name", "silos", "accounts", "regions", "tags", "percent"]

    func parseRollouts(_ node: Node, channels: [String]) throws(Failure) -> [String: RolloutPolicy] {
        guard case .mapping(let mapping) = node else {
            throw fail(.wrongType, node, "'rollout' must be a mapping of channel names to rollout policies, not \(typeName(node))")
        }
        var policies: [String: RolloutPolicy] = [:]
        for (keyNode, value) in mapping {
            let channel = try text(keyNode, what: "a channel name in 'rollout'")
            guard channels.contains(channel) else {
                let hint = PipelineDefinitionError.suggestion(for: channel, among: channels)
                throw fail(.invalidName, keyNode, "'rollout' names channel '\(channel)', which is not in 'channels'\(hint)")
            }
            policies[channel] = try parsePolicy(value, context: " in the rollout of '\(channel)'")
        }
        return policies
    }

    private func parsePolicy(_ node: Node, context: String) throws(Failure) -> RolloutPolicy {
        let keys = try entries(node, keys: Self.rolloutKeys, context: context, what: "the rollout policy")
        let wavesNode = try required("waves", in: keys, of: node, context: context)
        var policy = RolloutPolicy(waves: try parseWaves(wavesNode, context: context))
        if let bake = keys["bake"] { policy.bake = try duration(bake, what: "'bake'\(context)") }
        if let limits = keys["maxFailures"] { policy.maxFailures = try parseLimits(limits, context: context) }
        if let alarms = keys["alarms"] { policy.alarms = try parseAlarms(alarms, context: context) }
        if let insufficient = keys["insufficientData"] {
            let raw = try text(insufficient, what: "'insufficientData'\(context)")
            guard let value = RolloutPolicy.InsufficientData(rawValue: raw) else {
                throw fail(.invalidValue, insufficient, "bad 'insufficientData'\(context): '\(raw)'; write healthy, unhealthy or wait")
            }
            policy.insufficientData = value
        }
        if let unreported = keys["unreported"] { policy.unreported = try parseUnreported(unreported, context: context) }
        if let onHalt = keys["onHalt"] {
            let actions = try list(onHalt, what: "'onHalt'\(context)", of: "actions, like [rollback, quarantine]")
            var names: [String] = []
            for item in actions {
                let action = try text(item, what: "an action in 'onHalt'\(context)")
                guard ["rollback", "quarantine"].contains(action) else {
                    throw fail(.invalidValue, item, "unknown action '\(action)' in 'onHalt'\(context): write rollback, quarantine or both")
                }
                guard !names.contains(action) else { throw fail(.duplicateName, item, "'onHalt'\(context) lists '\(action)' twice") }
                names.append(action)
            }
            policy.rollbackOnHalt = names.contains("rollback")
            policy.quarantineOnHalt = names.contains("quarantine")
        }
        if let freezes = keys["freezes"] { policy.freezes = try parseFreezes(freezes, context: context) }
        return policy
    }

    private func parseWaves(_ node: Node, context: String) throws(Failure) -> [WaveSelector] {
        let items = try list(node, what: "'waves'\(context)", of: "waves")
        guard !items.isEmpty else { throw fail(.invalidValue, node, "'waves'\(context) must list at least one wave") }
        var waves: [WaveSelector] = []
        for (index, item) in items.enumerated() {
            let label = "wave \(index + 1)\(context)"
            let keys = try entries(item, keys: Self.waveKeys, context: " in \(label)", what: label)
            var wave = WaveSelector(name: "wave-\(index + 1)")
            if let nameNode = keys["name"] {
                wave.name = try text(nameNode, what: "'name' in \(label)")
                guard wave.name.wholeMatch(of: /[A-Za-z0-9._-]{1,64}/) != nil else {
                    throw fail(.invalidName, nameNode, "bad wave name '\(wave.name)' in \(label): use 1 to 64 letters, digits, '.', '_' or '-'")
                }
                if waves.contains(where: { $0.name == wave.name }) {
                    throw fail(.duplicateName, nameNode, "wave name '\(wave.name)'\(context) is used twice")
                }
            }
            if let silos = keys["silos"] {
                wave.silos = try strings(silos, what: "'silos' in \(label)", of: "silo name patterns, like [\"prod-eu-*\"]",
                                         rule: /[A-Za-z0-9._*?-]{1,64}/, hint: "letters, digits, '.', '_', '-', '*' and '?'")
            }
            if let accounts = keys["accounts"] {
                wave.accounts = try strings(accounts, what: "'accounts' in \(label)", of: "12-digit account ids",
                                            rule: /[0-9]{12}/, hint: "an account id is 12 digits (quote it to keep leading zeros)")
            }
            if let regions = keys["regions"] {
                wave.regions = try strings(regions, what: "'regions' in \(label)", of: "region names, like [eu-west-1]",
                                           rule: /[a-z]{2}(?:-[a-z]+)+-[0-9]+/, hint: "write a region name like eu-west-1")
            }
            if let tags = keys["tags"] {
                wave.tags = try stringMap(tags, what: "'tags' in \(label)", keyKind: "tag key", keyContext: " in \(label)",
                                          keyRule: /.{1,128}/, keyHint: "tag keys have 1 to 128 characters")
            }
            if let percentNode = keys["percent"] {
                let raw = scalarText(percentNode) ?? ""
                let digits = raw.hasSuffix("%") ? String(raw.dropLast()) : raw
                guard let percent = Int(digits), (1...100).contains(percent) else {
                    throw fail(.invalidValue, percentNode, "bad 'percent' in \(label): '\(raw)'; write a whole number from 1 to 100")
                }
                wave.percent = percent
            }
            waves.append(wave)
        }
        return waves
    }

    private func parseLimits(_ node: Node, context: String) throws(Failure) -> RolloutPolicy.FailureLimits {
        if case .mapping = node {
            let keys = try entries(node, keys: ["wave", "total"], context: " in 'maxFailures'\(context)", what: "'maxFailures'")
            var limits = RolloutPolicy.FailureLimits()
            if let wave = keys["wave"] { limits.wave = try tolerance(wave, what: "'wave' in 'maxFailures'\(context)") }
            if let total = keys["total"] { limits.total = try tolerance(total, what: "'total' in 'maxFailures'\(context)") }
            return limits
        }
        let both = try tolerance(node, what: "'maxFailures'\(context)")
        return RolloutPolicy.FailureLimits(wave: both, total: both)
    }

    private func tolerance(_ node: Node, what: String) throws(Failure) -> RolloutPolicy.Tolerance {
        let raw = scalarText(node) ?? ""
        if let match = raw.wholeMatch(of: /([0-9]{1,3})%/), let share = Int(match.1), share <= 100 { return .percent(share) }
        if let match = raw.wholeMatch(of: /[0-9]{1,6}/), let count = Int(match.0) { return .count(count) }
        throw fail(.invalidValue, node, "bad \(what): '\(raw)'; write a number of silos (2) or a percentage (\"10%\")")
    }

    private func parseAlarms(_ node: Node, context: String) throws(Failure) -> [RolloutPolicy.AlarmMatch] {
        let items = try list(node, what: "'alarms'\(context)", of: "alarm names or prefixes ending in '*'")
        var alarms: [RolloutPolicy.AlarmMatch] = []
        for item in items {
            let raw = try text(item, what: "an alarm in 'alarms'\(context)")
            let isPrefix = raw.hasSuffix("*")
            let name = isPrefix ? String(raw.dropLast()) : raw
            guard (1...255).contains(name.count), !name.contains("*") else {
                throw fail(.invalidValue, item, "bad alarm '\(raw)'\(context): write an alarm name (1 to 255 characters) "
                    + "or a prefix followed by one '*' at the end")
            }
            let alarm: RolloutPolicy.AlarmMatch = isPrefix ? .prefix(name) : .name(name)
            guard !alarms.contains(alarm) else { throw fail(.duplicateName, item, "'alarms'\(context) lists '\(raw)' twice") }
            alarms.append(alarm)
        }
        return alarms
    }

    private func parseUnreported(_ node: Node, context: String) throws(Failure) -> RolloutPolicy.Unreported {
        if scalarText(node) == "wait" { return .wait }
        guard case .mapping = node else {
            throw fail(.invalidValue, node, "bad 'unreported'\(context): write wait, or {skipAfter: 30m}")
        }
        let keys = try entries(node, keys: ["skipAfter"], context: " in 'unreported'\(context)", what: "'unreported'")
        let after = try required("skipAfter", in: keys, of: node, context: " in 'unreported'\(context)")
        return .skipAfter(try duration(after, what: "'skipAfter'\(context)", allowZero: false))
    }

    private func parseFreezes(_ node: Node, context: String) throws(Failure) -> [RolloutPolicy.Freeze] {
        let items = try list(node, what: "'freezes'\(context)", of: "freezes, like {from: …, until: …, reason: …}")
        var freezes: [RolloutPolicy.Freeze] = []
        for (index, item) in items.enumerated() {
            let label = " in freeze \(index + 1)\(context)"
            let keys = try entries(item, keys: ["from", "until", "reason"], context: label, what: "freeze \(index + 1)")
            let fromNode = try required("from", in: keys, of: item, context: label)
            let untilNode = try required("until", in: keys, of: item, context: label)
            let reasonNode = try required("reason", in: keys, of: item, context: label)
            let from = try instant(fromNode, what: "'from'\(label)")
            let until = try instant(untilNode, what: "'until'\(label)")
            guard from < until else { throw fail(.invalidValue, untilNode, "'until'\(label) must be after 'from'") }
            let reason = try text(reasonNode, what: "'reason'\(label)")
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail(.invalidValue, reasonNode, "'reason'\(label) is empty; say why changes are frozen")
            }
            freezes.append(.init(from: from, until: until, reason: reason))
        }
        return freezes
    }

    // MARK: Values

    /// Whole seconds (`90`) or a number with a unit: `90s`, `30m`, `2h`, `1d`.
    func duration(_ node: Node, what: String, allowZero: Bool = true) throws(Failure) -> Int {
        let raw = scalarText(node) ?? ""
        if let match = raw.wholeMatch(of: /([0-9]{1,7})([smhd]?)/), let number = Int(match.1), allowZero || number > 0 {
            let unit = switch match.2 { case "d": 86_400; case "h": 3600; case "m": 60; default: 1 }
            return number * unit
        }
        throw fail(.invalidValue, node, "bad \(what): '\(raw)'; write whole seconds (90) or a number with a unit "
            + "(\"90s\", \"30m\", \"2h\", \"1d\")\(allowZero ? "" : ", more than zero")")
    }

    private func instant(_ node: Node, what: String) throws(Failure) -> Date {
        let raw = scalarText(node) ?? ""
        guard let date = Timestamp.parse(raw) else {
            throw fail(.invalidValue, node, "bad \(what): '\(raw)'; write a UTC time such as 2026-12-20T00:00:00Z")
        }
        return date
    }

    private func strings(_ node: Node, what: String, of items: String, rule: Regex<Substring>,
                         hint: String) throws(Failure) -> [String] {
        let nodes = try list(node, what: what, of: items)
        guard !nodes.isEmpty else { throw fail(.invalidValue, node, "\(what) is empty; leave it out to select every silo") }
        var values: [String] = []
        for item in nodes {
            let value = try text(item, what: "an entry of \(what)")
            guard value.wholeMatch(of: rule) != nil else { throw fail(.invalidValue, item, "bad entry '\(value)' in \(what): \(hint)") }
            guard !values.contains(value) else { throw fail(.duplicateName, item, "\(what) lists '\(value)' twice") }
            values.append(value)
        }
        return values
    }
}
