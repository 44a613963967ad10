extension StatusReport {
    /// What the agent's last CloudFormation drift detection of the pipeline's stacks found
    /// (`drift: report | revert` in the agent's settings; docs/agent.md, "Drift").
    public struct Drift: Codable, Sendable, Equatable {
        /// `report` or `revert`: what the agent does with drift.
        public var mode: String
        /// When the detection finished, RFC 3339 UTC.
        public var checkedAt: String
        /// The drifted resources, by stack and logical id; empty: every checked resource
        /// is in sync (resource types the settings exclude are left out).
        public var resources: [Resource]
        /// When the agent re-applied the current release to the drifted stacks (`revert`),
        /// RFC 3339 UTC: `resources` are then what it found and reverted.
        public var revertedAt: String?
        /// Why detection, or the revert, did not finish; the next check tries again.
        public var error: String?

        public init(mode: String, checkedAt: String, resources: [Resource] = [], revertedAt: String? = nil,
                    error: String? = nil) {
            self.mode = mode
            self.checkedAt = checkedAt
            self.resources = resources
            self.revertedAt = revertedAt
            self.error = error
        }

        /// One drifted resource.
        public struct Resource: Codable, Sendable, Equatable {
            /// The CloudFormation stack (with the silo's stack prefix).
            public var stack: String
            /// The logical id in the template.
            public var resource: String
            /// `AWS::SQS::Queue`...
            public var type: String
            /// CloudFormation's `StackResourceDriftStatus`: `MODIFIED` or `DELETED`.
            public var difference: String
            /// For `MODIFIED`: each property that differs, `<path> <ADD|REMOVE|NOT_EQUAL>`.
            public var properties: [String]?

            public init(stack: String, resource: String, type: String, difference: String, properties: [String]? = nil) {
                self.stack = stack
                self.resource = resource
                self.type = type
                self.difference = difference
                self.properties = properties
            }
        }

        /// Whether drift was found and is still there (not reverted since).
        public var isDrifted: Bool { !resources.isEmpty && revertedAt == nil }

        func validate() throws(ManifestError) {
            guard ["report", "revert"].contains(mode) else {
                throw ManifestError(.invalidValue, "the field `drift.mode` must be report or revert, not \"\(mode)\"",
                                    field: "drift.mode")
            }
            try Check.timestamp(checkedAt, "drift.checkedAt")
            if let revertedAt { try Check.timestamp(revertedAt, "drift.revertedAt") }
            for (index, resource) in resources.enumerated() where resource.stack.isEmpty || resource.resource.isEmpty {
                throw ManifestError(.missingField, "drift.resources[\(index)] must name its stack and resource",
                                    field: "drift.resources[\(index)]")
            }
        }
    }
}
